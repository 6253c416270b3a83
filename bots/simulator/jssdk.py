"""Simulated in-app web sign-in and JS-SDK of the three platforms, for Gendan's /m/ page.

- OAuth authorize page (WeChat web OAuth and WeCom OAuth2 share the host open.weixin.qq.com and
  the path /connect/oauth2/authorize; the appid tells them apart): for the simulated user "in
  the app" (admin POST /admin/inapp) it redirects straight back with a code, as snsapi_base
  does; without one it shows a tiny page to choose a user.
- code -> user: WeCom /cgi-bin/auth/getuserinfo (and the older /cgi-bin/user/getuserinfo),
  WeChat /sns/oauth2/access_token. Codes are single-use (40029 unknown, 40163 used on WeChat).
- jsapi tickets: WeChat /cgi-bin/ticket/getticket?type=jsapi, WeCom /cgi-bin/get_jsapi_ticket and
  /cgi-bin/ticket/get?type=agent_config, DingTalk /get_jsapi_ticket; the same ticket until it
  expires (7200 s), token errcodes as the platforms answer them.
- a fake JS-SDK script per platform (/jssdk/wechat.js, wecom.js, dingtalk.js) defining `wx`,
  `ww` + `wx`, `dd`: config checks the signature against the ticket this simulator issued,
  scanQRCode / dd.biz.util.scan return the code set with /admin/inapp, requestAuthCode gives a
  fresh 免登 code for the user in the app. The page's CSP allows scripts from the simulator's
  origin only (no fetch), so the script talks back with JSONP script elements.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from html import escape
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, redirect, request

from bots.simulator.common import err, ok, sim, token_or_error

bp = Blueprint("sim_jssdk", __name__)
JS = "text/javascript; charset=utf-8"


# OAuth authorize and code -> user -------------------------------------------------------------


def _oauth_platform(appid: str | None) -> str | None:
    state = sim()
    if state.find("wecom_apps", appid):
        return "wecom"
    if state.find("wechat_apps", appid):
        return "wechat"
    return None


def issue_code(platform: str, userid: str) -> str:
    code = f"{platform}-{secrets.token_hex(8)}"
    sim().add("login_codes", [{"platform": platform, "code": code, "user": userid}])
    return code


def _with_query(url: str, **params) -> str:
    parts = urlsplit(url)
    query = "&".join(p for p in (parts.query, urlencode(params)) if p)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


@bp.get("/connect/oauth2/authorize")
def authorize():
    args = request.args
    platform = _oauth_platform(args.get("appid"))
    redirect_uri = args.get("redirect_uri", "")
    if platform is None:
        return _page("参数错误", "<p>appid 无效（40013）</p>"), 400
    if args.get("response_type") != "code" or args.get("scope") not in (
        "snsapi_base",
        "snsapi_userinfo",
        "snsapi_privateinfo",
    ):
        return _page("参数错误", "<p>response_type 或 scope 无效</p>"), 400
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        return _page("参数错误", "<p>redirect_uri 无效</p>"), 400
    state = sim()
    chosen = args.get("sim_user") or state.inapp.get(platform, {}).get("user")
    if chosen:
        if not state.user(userid=chosen):
            return _page("参数错误", "<p>没有这个模拟用户</p>"), 400
        code = issue_code(platform, chosen)
        return redirect(_with_query(redirect_uri, code=code, state=args.get("state", "")))
    links = "".join(
        f'<li><a href="{escape(_with_query(request.full_path, sim_user=u["userid"]))}">'
        f"{escape(u.get('name') or u['userid'])}（{escape(u['userid'])}）</a></li>"
        for u in state.config["users"]
    )
    name = "企业微信" if platform == "wecom" else "微信"
    return _page(f"{name}授权（模拟器）", f"<p>以哪位模拟用户的身份授权？</p><ul>{links}</ul>")


def _page(title: str, body: str) -> Response:
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return Response(html, mimetype="text/html")


def _take_code(platform: str, code: str) -> tuple[dict | None, str]:
    """(login code entry, "") or (None, "invalid" | "used")."""
    state = sim()
    entry = state.find("login_codes", code)
    if entry is None or entry.get("platform") != platform:
        return None, "invalid"
    if not state.use_code(code):
        return None, "used"
    return entry, ""


@bp.get("/cgi-bin/auth/getuserinfo")
@bp.get("/cgi-bin/user/getuserinfo")
def wecom_getuserinfo():
    _token, error = token_or_error("wecom")
    if error:
        return error
    entry, _problem = _take_code("wecom", request.args.get("code", ""))
    if entry is None:
        return err(40029, "invalid code")
    user = sim().user(userid=entry["user"])
    if user is None:  # not a member of the corp: WeCom answers an openid instead
        return ok(openid=f"o-{entry['user']}", external_userid="")
    return ok(userid=user["userid"], user_ticket="", expires_in=1800)


@bp.get("/sns/oauth2/access_token")
def wechat_oauth_token():
    state = sim()
    app = state.find("wechat_apps", request.args.get("appid"))
    if app is None:
        return err(40013, "invalid appid")
    if request.args.get("secret") != app.get("secret"):
        return err(40125, "invalid appsecret")
    if request.args.get("grant_type") != "authorization_code":
        return err(40002, "invalid grant_type")
    entry, problem = _take_code("wechat", request.args.get("code", ""))
    if entry is None:
        return err(40163, "code been used") if problem == "used" else err(40029, "invalid code")
    user = state.user(userid=entry["user"]) or {}
    return {
        "access_token": secrets.token_hex(16),
        "expires_in": 7200,
        "refresh_token": secrets.token_hex(16),
        "openid": user.get("openid") or entry["user"],
        "scope": "snsapi_base",
    }


# jsapi tickets --------------------------------------------------------------------------------


def _ticket_answer(platform: str, kind: str):
    token, error = token_or_error(platform)
    if error:
        return error
    value, expires_at = sim().ticket(platform, token.app, kind)
    return ok(ticket=value, expires_in=max(int(expires_at - sim().clock.now()), 0))


@bp.get("/cgi-bin/ticket/getticket")
def wechat_ticket():
    if request.args.get("type") != "jsapi":
        return _ticket_type_error("wechat")
    return _ticket_answer("wechat", "jsapi")


@bp.get("/cgi-bin/get_jsapi_ticket")
def wecom_corp_ticket():
    return _ticket_answer("wecom", "jsapi")


@bp.get("/cgi-bin/ticket/get")
def wecom_agent_ticket():
    if request.args.get("type") != "agent_config":
        return _ticket_type_error("wecom")
    return _ticket_answer("wecom", "agent_config")


@bp.get("/get_jsapi_ticket")
def dingtalk_ticket():
    return _ticket_answer("dingtalk", "jsapi")


def _ticket_type_error(platform: str):
    _token, error = token_or_error(platform)
    return error or err(40097, "invalid args: type")


# The fake JS-SDK ------------------------------------------------------------------------------


def signature(ticket: str, noncestr: str, timestamp: str, url: str) -> str:
    text = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _jsonp(callback: str, value) -> Response:
    if not callback.replace("_", "").replace(".", "").isalnum():
        return Response("/* bad callback */", mimetype=JS, status=400)
    body = f"{callback}({json.dumps(value, ensure_ascii=False)});"
    response = Response(body, mimetype=JS)
    response.headers["Cache-Control"] = "no-store"
    return response


APPS = {"wechat": ("wechat_apps", "appid"), "wecom": ("wecom_apps", "corpid")}


@bp.get("/jssdk/verify")
def verify():
    """JSONP: does this config signature match a live ticket this simulator issued?"""
    args = request.args
    platform, kind = args.get("platform", ""), args.get("kind", "jsapi")
    state = sim()
    app = _app_for(platform, args.get("app", ""))
    if app is None:
        return _jsonp(args.get("cb", ""), {"ok": False, "errMsg": "config:invalid appId"})
    good = any(
        signature(t, args.get("noncestr", ""), args.get("timestamp", ""), args.get("url", ""))
        == args.get("signature", "")
        for t in state.live_tickets(platform, app, kind)
    )
    state.record_call(path=f"/jssdk/verify/{platform}/{kind}", status=200, errcode=0 if good else 1)
    answer = {"ok": good, "errMsg": f"{kind}:ok" if good else f"{kind}:invalid signature"}
    return _jsonp(args.get("cb", ""), answer)


def _app_for(platform: str, app_id: str) -> str | None:
    state = sim()
    if platform in APPS:
        section, key = APPS[platform]
        found = state.find(section, app_id)
        return found[key] if found else None
    if platform == "dingtalk":
        found = state.find("dingtalk_apps", app_id, "corp_id")
        return found["appkey"] if found else None
    return None


@bp.get("/jssdk/scan")
def scan():
    """JSONP: what the platform scanner reads (set with /admin/inapp `scan`)."""
    platform = request.args.get("platform", "")
    code = sim().inapp.get(platform, {}).get("scan")
    if not code:
        return _jsonp(request.args.get("cb", ""), {"ok": False, "errMsg": "scanQRCode:cancel"})
    return _jsonp(request.args.get("cb", ""), {"ok": True, "result": code})


@bp.get("/jssdk/authcode")
def authcode():
    """JSONP: a 免登 code for the user in DingTalk (requestAuthCode)."""
    state = sim()
    cb = request.args.get("cb", "")
    if not state.find("dingtalk_apps", request.args.get("corpId", ""), "corp_id"):
        return _jsonp(cb, {"ok": False, "errorCode": "3", "errorMessage": "corpId 无效"})
    user = state.inapp.get("dingtalk", {}).get("user")
    if not user:
        return _jsonp(cb, {"ok": False, "errorCode": "7", "errorMessage": "未登录钉钉"})
    return _jsonp(cb, {"ok": True, "code": issue_code("dingtalk", user)})


@bp.get("/jssdk/<platform>.js")
def script(platform: str):
    if platform not in ("wechat", "wecom", "dingtalk"):
        return Response("/* unknown platform */", mimetype=JS, status=404)
    base = request.host_url.rstrip("/")
    body = FAKE_SDK.replace("__BASE__", json.dumps(base)).replace(
        "__PLATFORM__", json.dumps(platform)
    )
    response = Response(body, mimetype=JS)
    response.headers["Cache-Control"] = "no-store"
    return response


FAKE_SDK = r"""// The chat simulator's stand-in for a platform JS-SDK (not the real SDK).
(function () {
  var BASE = __BASE__, PLATFORM = __PLATFORM__, seq = 0;
  function jsonp(path, params) {
    return new Promise(function (resolve, reject) {
      var name = "__gendanSim" + (++seq) + "_" + Date.now();
      var script = document.createElement("script");
      window[name] = function (value) { delete window[name]; script.remove(); resolve(value); };
      params.cb = name;
      var query = Object.keys(params).map(function (k) {
        return encodeURIComponent(k) + "=" + encodeURIComponent(params[k] == null ? "" : params[k]);
      }).join("&");
      script.src = BASE + path + "?" + query;
      script.onerror = function () { delete window[name]; reject(new Error("simulator")); };
      document.head.appendChild(script);
    });
  }
  function pageUrl() { return location.href.split("#")[0]; }
  function verify(kind, app, c) {
    return jsonp("/jssdk/verify", { platform: PLATFORM, kind: kind, app: app, url: pageUrl(),
      noncestr: c.nonceStr, timestamp: c.timestamp || c.timeStamp, signature: c.signature });
  }
  function scanTo(cb, shape) {
    jsonp("/jssdk/scan", { platform: PLATFORM }).then(function (r) {
      if (r.ok) { cb.success && cb.success(shape(r.result)); }
      else { (cb.fail || cb.onFail || function () {})({ errMsg: r.errMsg }); }
      cb.complete && cb.complete();
    });
  }
  function weixin(kindOf) {
    var state = { ready: [], error: [], ok: false, failed: null, configured: false };
    function settle(result) {
      if (result.ok) { state.ok = true; state.ready.splice(0).forEach(function (f) { f(); }); }
      else { state.failed = result; state.error.splice(0).forEach(function (f) { f(result); }); }
    }
    var api = {
      config: function (c) { state.configured = true; verify("jsapi", c.appId, c).then(settle); },
      ready: function (f) { if (state.ok) f(); else state.ready.push(f); },
      error: function (f) { if (state.failed) f(state.failed); else state.error.push(f); },
      scanQRCode: function (o) {
        if (!state.ok) {
          (o.fail || function () {})({ errMsg: "scanQRCode:permission denied" }); return;
        }
        scanTo(o, function (text) {
          return { errMsg: "scanQRCode:ok", resultStr: o.needResult === 0 ? "" : text };
        });
      },
    };
    if (kindOf === "wecom") {
      api.agentConfig = function (c) {
        verify("agent_config", c.corpid, c).then(function (r) {
          if (r.ok) (c.success || function () {})({ errMsg: "agentConfig:ok" });
          else (c.fail || function () {})({ errMsg: r.errMsg });
        });
      };
    }
    return api;
  }
  if (PLATFORM === "dingtalk") {
    var ok = false, failed = null, ready = [], errors = [];
    window.dd = {
      config: function (c) {
        verify("jsapi", c.corpId, c).then(function (r) {
          if (r.ok) { ok = true; ready.splice(0).forEach(function (f) { f(); }); }
          else { failed = r; errors.splice(0).forEach(function (f) { f(r); }); }
        });
      },
      ready: function (f) { if (ok) f(); else ready.push(f); },
      error: function (f) { if (failed) f(failed); else errors.push(f); },
      runtime: { permission: { requestAuthCode: function (o) {
        jsonp("/jssdk/authcode", { corpId: o.corpId }).then(function (r) {
          if (r.ok) (o.onSuccess || function () {})({ code: r.code });
          else (o.onFail || function () {})(r);
        });
      } } },
      biz: { util: { scan: function (o) {
        if (!ok) { (o.onFail || function () {})({ errorMessage: "jsapi 未鉴权" }); return; }
        var shape = function (text) { return { text: text }; };
        scanTo({ success: o.onSuccess, fail: o.onFail }, shape);
      } } },
    };
    return;
  }
  window.wx = weixin(PLATFORM);
  if (PLATFORM === "wecom") {
    // @wecom/jssdk style: ww.config/agentConfig/scanQRCode on the same checks.
    window.ww = window.wx;
  }
})();
"""
