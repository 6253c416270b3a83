"""Local chat simulator: a fake WeChat / WeCom / DingTalk for development and tests."""
