// Signing in: inside WeCom / DingTalk / WeChat the app's own sign-in first (OAuth2 snsapi_base,
// 免登 requestAuthCode, web OAuth: platform.js); the usual password form elsewhere, and when the
// app's account cannot sign in (not bound yet: the hint and a binding-code field are shown).
import { call, keepSession } from "./api.js";
import { bindAndRetry, inAppSignIn } from "./platform.js";

const APPS = ["wecom", "dingtalk", "wechat"];
const APP_KEY = "gendan.m.app";

// Which chat app's browser this page runs in, from its user agent (null: a plain browser).
// `/m/?app=wecom` (the simulator's phone frame: a desktop browser's user agent names no app)
// says it instead, for the rest of this tab. It only picks the sign-in flow and the scanner:
// the platform still has to vouch for the user.
export function chatApp() {
  const asked = new URLSearchParams(location.search).get("app");
  if (APPS.includes(asked)) sessionStorage.setItem(APP_KEY, asked);
  const kept = sessionStorage.getItem(APP_KEY);
  if (APPS.includes(kept)) return kept;
  const ua = navigator.userAgent;
  if (/wxwork/i.test(ua)) return "wecom";
  if (/DingTalk/i.test(ua)) return "dingtalk";
  if (/MicroMessenger/i.test(ua)) return "wechat";
  return null;
}

// In-app sign-in without a password. True when signed in; else the form is to be shown (with
// the reason in #signin-error), or the page is on its way to the app's authorize page.
export async function platformSignIn() {
  const app = chatApp();
  const outcome = await inAppSignIn(app);
  if (!outcome) return false;
  if (outcome.token) return true;
  if (outcome.away) return false;
  const error = document.getElementById("signin-error");
  error.textContent = outcome.hint;
  error.hidden = false;
  if (outcome.bindable) showBindForm(app);
  return false;
}

function showBindForm(app) {
  if (document.getElementById("bind-form")) return;
  const form = document.createElement("form");
  form.id = "bind-form";
  form.className = "stack bind-form";
  form.noValidate = true;
  const label = document.createElement("label");
  label.textContent = "绑定码 ";
  const input = document.createElement("input");
  input.name = "bind_code";
  input.inputMode = "numeric";
  input.autocomplete = "one-time-code";
  input.maxLength = 16;
  label.append(input);
  const button = document.createElement("button");
  button.type = "submit";
  button.className = "primary big";
  button.textContent = "绑定并登录";
  const note = document.createElement("p");
  note.className = "hint";
  note.textContent = "没有密码？请在 Gendan 网页「聊天账号」页获取 6 位绑定码，填在这里绑定本账号。";
  form.append(note, label, button);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = input.value.trim();
    if (!code) {
      input.focus();
      return;
    }
    bindAndRetry(app, code);
  });
  document.getElementById("signin-form").after(form);
}

export async function passwordSignIn(username, password) {
  const token = await call("POST", "/api/auth/token", { username, password });
  keepSession(token);
  return token;
}
