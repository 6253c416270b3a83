"""Warehouse scans: what a scanned code is (codes.py, _resolve.py), which BOM line it goes to
(_targets.py), recording receipts, issues and stock checks (record.py), the worker's one-line
summary (_messages.py) and scanning by photo (photo.py). The procurement package exports them."""
