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
