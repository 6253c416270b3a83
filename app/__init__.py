"""Gendan web application package. create_app lives in app.factory; importing app stays cheap so
that services, bots and jobs can import app.services without pulling in Flask."""


def create_app(config=None):
    from app.factory import create_app as _create_app

    return _create_app(config)
