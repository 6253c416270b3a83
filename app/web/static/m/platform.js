// Inside WeCom / DingTalk / WeChat: sign in without a password and scan with the app's own
// scanner through its JS-SDK. The server says which platforms are configured
// (/api/auth/platform-config); the JS-SDK script is the configured one (the page's CSP allows
// that origin only), and its config is signed by /api/jsapi/signature for this page's URL.
import { ApiError, call, keepSession } from "./api.js";

const LOGIN = { wecom: "/api/auth/wecom", wechat: "/api/auth/wechat-web", dingtalk: "/api/auth/dingtalk" };
const BIND_KEY = "gendan.m.bind"; // a binding code typed before going round the app's sign-in again
let config = null;
const scripts = {};

export async function platformConfig() {
  if (!config) config = await call("GET", "/api/auth/platform-config");
  return config;
}

function loadScript(src) {
  if (!scripts[src]) {
    scripts[src] = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = () => {
        delete scripts[src];
        reject(new Error("无法加载平台组件"));
      };
      document.head.appendChild(script);
    });
  }
  return scripts[src];
}

// This page's address without the sign-in's code/state and without the #fragment.
function pageUrl() {
  return location.href.split("#")[0];
}

function oauthState(app) {
  return `gendan-${app}`;
}

// WeCom / WeChat: the authorize page (snsapi_base) sends the code back to /m/ in the query.
function codeFromAddress(app) {
  const params = new URLSearchParams(location.search);
  if (params.get("state") !== oauthState(app)) return { back: false, code: null };
  const code = params.get("code");
  params.delete("code");
  params.delete("state");
  const query = params.toString();
  history.replaceState(null, "", location.pathname + (query ? `?${query}` : "") + location.hash);
  return { back: true, code };
}

function goAuthorize(app, info) {
  const target = new URL(info.authorize_url);
  target.searchParams.set("appid", info.app_id);
  target.searchParams.set("redirect_uri", location.origin + location.pathname);
  target.searchParams.set("response_type", "code");
  target.searchParams.set("scope", "snsapi_base");
  target.searchParams.set("state", oauthState(app));
  if (app === "wecom" && info.agent_id) target.searchParams.set("agentid", info.agent_id);
  target.hash = "wechat_redirect";
  location.assign(target.toString());
}

async function dingtalkCode(info) {
  await loadScript(info.jssdk_url);
  return new Promise((resolve, reject) => {
    window.dd.runtime.permission.requestAuthCode({
      corpId: info.app_id,
      onSuccess: (result) => resolve(result.code),
      onFail: (error) => reject(new Error((error && error.errorMessage) || "钉钉免登失败")),
    });
  });
}

// Sign in as the app's user. Answers { token } when signed in, { hint } when the page must show
// the password form with that hint (e.g. the account is not bound yet), { away: true } while the
// page goes to the app's authorize page, or null outside a configured app.
export async function inAppSignIn(app) {
  if (!app) return null;
  let info;
  try {
    info = (await platformConfig())[app];
  } catch (error) {
    return null; // offline or server trouble: the form (and a kept session) still work
  }
  if (!info) return null;
  let code;
  try {
    if (app === "dingtalk") {
      code = await dingtalkCode(info);
    } else {
      const back = codeFromAddress(app);
      if (!back.back) {
        goAuthorize(app, info);
        return { away: true };
      }
      if (!back.code) return { hint: "未获得授权，请用账号密码登录" };
      code = back.code;
    }
  } catch (error) {
    return { hint: `${error.message}，请用账号密码登录` };
  }
  const body = { code };
  const bindCode = sessionStorage.getItem(BIND_KEY);
  if (bindCode) body.bind_code = bindCode;
  sessionStorage.removeItem(BIND_KEY);
  try {
    const token = await call("POST", LOGIN[app], body);
    keepSession(token);
    return { token };
  } catch (error) {
    if (error instanceof ApiError) {
      return { hint: error.message, bindable: error.status === 403 || (bindCode && error.status === 422) };
    }
    return { hint: "登录失败，请用账号密码登录" };
  }
}

// Keep a binding code and go round the app's sign-in again with it.
export function bindAndRetry(app, bindCode) {
  sessionStorage.setItem(BIND_KEY, bindCode);
  const params = new URLSearchParams(location.search);
  params.delete("code");
  params.delete("state");
  const query = params.toString();
  history.replaceState(null, "", location.pathname + (query ? `?${query}` : "") + location.hash);
  location.reload();
}

// The app's scanner, ready to use: a function answering { code, scanType } (null: cancelled),
// or null when this page cannot use it (not in a configured app, signing refused...).
let scanner = null;

export async function platformScanner(app) {
  if (!app) return null;
  if (!scanner) {
    scanner = prepare(app).catch((error) => {
      console.warn("platform scanner unavailable", error);
      scanner = null;
      return null;
    });
  }
  return scanner;
}

async function prepare(app) {
  const info = (await platformConfig())[app];
  if (!info) return null;
  const signed = await call("POST", "/api/jsapi/signature", { platform: app, url: pageUrl() });
  await loadScript(info.jssdk_url);
  if (app === "dingtalk") return prepareDingTalk(signed);
  return prepareWeixin(app, signed);
}

function prepareWeixin(app, signed) {
  const wx = window.wx;
  return new Promise((resolve, reject) => {
    wx.ready(() => resolve(scanWeixin));
    wx.error((error) => reject(new Error(error.errMsg || "JS-SDK 鉴权失败")));
    wx.config({
      beta: app === "wecom",
      debug: false,
      appId: signed.app_id,
      timestamp: signed.timestamp,
      nonceStr: signed.nonce_str,
      signature: signed.signature,
      jsApiList: ["scanQRCode"],
    });
    if (app === "wecom" && signed.agent && typeof wx.agentConfig === "function") {
      wx.agentConfig({
        corpid: signed.app_id,
        agentid: signed.agent_id,
        timestamp: signed.agent.timestamp,
        nonceStr: signed.agent.nonce_str,
        signature: signed.agent.signature,
        jsApiList: ["scanQRCode"],
        success: () => {},
        fail: (error) => console.warn("agentConfig failed", error),
      });
    }
  });
}

// WeChat / WeCom answer barcodes as "EAN_13,6901234567892" and QR codes as their text.
export function splitResult(text) {
  const match = /^([A-Z][A-Z0-9_]*),(.+)$/s.exec(text || "");
  if (match) return { code: match[2], scanType: match[1] };
  return { code: text, scanType: null };
}

function scanWeixin() {
  return new Promise((resolve, reject) => {
    window.wx.scanQRCode({
      needResult: 1,
      scanType: ["qrCode", "barCode"],
      success: (result) => resolve(splitResult(result.resultStr)),
      fail: (error) => {
        if (/cancel/.test((error && error.errMsg) || "")) resolve(null);
        else reject(new Error("扫码失败，请重试或手动输入编码"));
      },
    });
  });
}

function prepareDingTalk(signed) {
  const dd = window.dd;
  return new Promise((resolve, reject) => {
    dd.ready(() => resolve(scanDingTalk));
    dd.error((error) => reject(new Error(error.errorMessage || error.errMsg || "钉钉鉴权失败")));
    dd.config({
      agentId: signed.agent_id,
      corpId: signed.app_id,
      timeStamp: signed.timestamp,
      nonceStr: signed.nonce_str,
      signature: signed.signature,
      jsApiList: ["biz.util.scan"],
    });
  });
}

function scanDingTalk() {
  return new Promise((resolve, reject) => {
    window.dd.biz.util.scan({
      type: "all",
      onSuccess: (result) => resolve(splitResult(result.text)),
      onFail: (error) => {
        if (error && String(error.errorCode) === "-1") resolve(null); // cancelled
        else reject(new Error("扫码失败，请重试或手动输入编码"));
      },
    });
  });
}
