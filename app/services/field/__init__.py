"""Site work and stage 5: daily reports and day labour, site issues and their closed loop, order
documents (PDF), customer acceptance (also by one-time link), and their public forms.
"""

from __future__ import annotations

from app.services.field.acceptance import (
    acceptance_of,
    get_acceptance,
    ready_for_acceptance,
    record_acceptance,
)
from app.services.field.acceptance_links import (
    LinkClosed,
    LinkExpired,
    LinkInvalid,
    LinkReplaced,
    LinkUsed,
    accept_by_link,
    create_acceptance_link,
    link_url,
    open_link,
)
from app.services.field.deadlines import respects_first_deadline
from app.services.field.desk import remind_reporter, report_desk
from app.services.field.documents import (
    current_documents,
    document_store,
    get_document,
    list_documents,
    upload_document,
)
from app.services.field.issue_flow import (
    acknowledge_issue,
    reopen_issue,
    resolve_issue,
    verify_issue,
)
from app.services.field.issue_photos import add_issue_photos
from app.services.field.issues import (
    ISSUE_ENTITY,
    create_issue,
    get_issue,
    list_issues,
    update_issue,
)
from app.services.field.labour import labour_summary
from app.services.field.public import (
    acceptance_public,
    document_public,
    issues_public,
    reports_public,
)
from app.services.field.reports import (
    REPORT_ENTITY,
    list_daily_reports,
    list_missing_reporters,
    missing_reporters,
    submit_daily_report,
)

__all__ = [
    "ISSUE_ENTITY",
    "REPORT_ENTITY",
    "LinkClosed",
    "LinkExpired",
    "LinkInvalid",
    "LinkReplaced",
    "LinkUsed",
    "accept_by_link",
    "acceptance_of",
    "acceptance_public",
    "acknowledge_issue",
    "add_issue_photos",
    "create_acceptance_link",
    "create_issue",
    "current_documents",
    "document_public",
    "document_store",
    "get_acceptance",
    "get_document",
    "get_issue",
    "issues_public",
    "labour_summary",
    "link_url",
    "list_daily_reports",
    "list_documents",
    "list_issues",
    "list_missing_reporters",
    "missing_reporters",
    "open_link",
    "ready_for_acceptance",
    "record_acceptance",
    "remind_reporter",
    "reopen_issue",
    "report_desk",
    "reports_public",
    "resolve_issue",
    "respects_first_deadline",
    "submit_daily_report",
    "update_issue",
    "upload_document",
    "verify_issue",
]
