"""Demo configuration the simulator starts with, so the web page has chats to show.

Give Gendan the same credentials (see bots/README.md) and its webhooks will accept what the
simulator delivers. These are local test values, not secrets of any real account.
"""

DEMO_CONFIG = {
    "users": [
        {"userid": "zhangsan", "name": "张三", "mobile": "13800000001", "openid": "o-zhangsan"},
        {"userid": "lisi", "name": "李四", "mobile": "13800000002", "openid": "o-lisi"},
        {"userid": "wangwu", "name": "王五", "mobile": "13800000003", "openid": "o-wangwu"},
        {"userid": "zhaoliu", "name": "赵六", "mobile": "13800000010", "openid": "o-zhaoliu"},
        {"userid": "sunqi", "name": "孙七", "mobile": "13800000006", "openid": "o-sunqi"},
    ],
    "wechat_apps": [
        {
            "appid": "wxsimulator000001",
            "secret": "wechat-secret",
            "token": "wechat-token",
            "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            "account_id": "gh_simulator",
        }
    ],
    "wecom_apps": [
        {
            "corpid": "wwsimulator000001",
            "corpsecret": "wecom-secret",
            "agentid": "1000002",
            "token": "wecom-token",
            "encoding_aes_key": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg",
        }
    ],
    "dingtalk_apps": [
        {
            "appkey": "dingsimulator0001",
            "appsecret": "dingtalk-app-secret",
            "agent_id": "2000001",
            "corp_id": "dingcorpsimulator",
            "event_token": "dingtalk-event-token",
            "event_aes_key": "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
        }
    ],
    # The intelligent robot (智能机器人); "transport": "long_connection" sends the users' WeCom
    # private messages over its long connection instead of the self-built app's webhook.
    "wecom_bots": [
        {"bot_id": "aibsimulator0001", "secret": "wecom-bot-secret", "name": "跟单助手"}
    ],
    "wecom_robots": [{"key": "wecom-robot-key-1", "title": "A-001 项目群（企业微信）"}],
    "dingtalk_robots": [
        {
            "access_token": "dingtalk-robot-token-1",
            "secret": "SECdingtalk-robot-secret-1",
            "title": "A-001 项目群（钉钉）",
            "conversation_id": "cid-project-a001",
        }
    ],
    "templates": [{"template_id": "tmpl-overdue", "appid": "wxsimulator000001"}],
    "subscriptions": [{"openid": "o-zhangsan", "template_id": "tmpl-overdue", "count": 3}],
    "login_codes": [
        {"platform": "wechat", "code": "wx-code-zhangsan", "user": "zhangsan"},
        {"platform": "dingtalk", "code": "dt-code-lisi", "user": "lisi"},
    ],
}

# Gendan's chat settings (environment variable names, app/config.py) for the demo apps above.
PLATFORM_API_BASES = (
    "WECHAT_API_BASE",
    "WECOM_API_BASE",
    "DINGTALK_API_BASE",
    "DINGTALK_OPENAPI_BASE",
    "WECHAT_OAUTH_BASE",
    "WECOM_OAUTH_BASE",
)
# The simulator's stand-ins for the platforms' JS-SDK scripts (bots/simulator/jssdk.py).
JSSDK_PATHS = {
    "WECHAT_JSSDK_URL": "/jssdk/wechat.js",
    "WECOM_JSSDK_URL": "/jssdk/wecom.js",
    "DINGTALK_JSSDK_URL": "/jssdk/dingtalk.js",
}


def gendan_env(
    base_url: str, config: dict = DEMO_CONFIG, wecom_ws_url: str | None = None
) -> dict[str, str]:
    """The settings a Gendan process needs to talk to a simulator at `base_url`: the demo apps'
    credentials and the simulator as every platform's API base (and, given its address, the
    WeCom long-connection gateway). `make run` (app/launcher.py) hands them to the web
    server, the scheduler and chat-stream; the tests to the apps they build."""
    wx, wc, dt = config["wechat_apps"][0], config["wecom_apps"][0], config["dingtalk_apps"][0]
    bots = config.get("wecom_bots") or []
    robot = (
        {"WECOM_BOT_ID": bots[0]["bot_id"], "WECOM_BOT_SECRET": bots[0]["secret"]} if bots else {}
    )
    ws = {"WECOM_WS_URL": wecom_ws_url} if wecom_ws_url else {}
    return {
        **robot,
        **ws,
        "WECHAT_APP_ID": wx["appid"],
        "WECHAT_APP_SECRET": wx["secret"],
        "WECHAT_TOKEN": wx["token"],
        "WECHAT_AES_KEY": wx["encoding_aes_key"],
        "WECOM_CORP_ID": wc["corpid"],
        "WECOM_TOKEN": wc["token"],
        "WECOM_AES_KEY": wc["encoding_aes_key"],
        "WECOM_AGENT_ID": wc["agentid"],
        "WECOM_SECRET": wc["corpsecret"],
        "DINGTALK_APP_KEY": dt["appkey"],
        "DINGTALK_APP_SECRET": dt["appsecret"],
        "DINGTALK_AGENT_ID": dt["agent_id"],
        "DINGTALK_TOKEN": dt["event_token"],
        "DINGTALK_AES_KEY": dt["event_aes_key"],
        "DINGTALK_CORP_ID": dt["corp_id"],
        **dict.fromkeys(PLATFORM_API_BASES, base_url.rstrip("/")),
        **{name: base_url.rstrip("/") + path for name, path in JSSDK_PATHS.items()},
    }
