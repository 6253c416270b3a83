// Signing in: the usual password here; inside WeCom / DingTalk / WeChat the app's own
// sign-in (OAuth2 snsapi_base, 免登 requestAuthCode, web OAuth) will be tried first.
import { call, keepSession } from "./api.js";

// Which chat app's browser this page runs in, from its user agent (null: a plain browser).
export function chatApp() {
  const ua = navigator.userAgent;
  if (/wxwork/i.test(ua)) return "wecom";
  if (/DingTalk/i.test(ua)) return "dingtalk";
  if (/MicroMessenger/i.test(ua)) return "wechat";
  return null;
}

// In-app sign-in without a password. Not built yet: always null, and the form is shown.
export async function platformSignIn() {
  return null;
}

export async function passwordSignIn(username, password) {
  const token = await call("POST", "/api/auth/token", { username, password });
  keepSession(token);
  return token;
}
