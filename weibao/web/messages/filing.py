"""UI strings of filing a ticket with a screenshot or log file in the same step (new-ticket form).

The outcome keys (filing_ok_*, filing_error_*) are shown on the new ticket's page, in its
follow-up section: a refused file never loses the ticket, so each refusal says both.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "filing_attach_label": {"zh": "截图或日志文件（可选）", "en": "Screenshot or log file (optional)"},
    "filing_attach_hint": {
        "zh": "可附一张截图（PNG、JPEG、GIF、WebP）或文本日志，不超过 {mb} MB。截图可能含患者信息，仅本工单的相关人员可见，保存 {days} 天后自动删除。",
        "en": "One screenshot (PNG, JPEG, GIF, WebP) or plain-text log up to {mb} MB. Screenshots may show patients: only people working on this ticket can see them, and they are deleted after {days} days.",
    },
    "filing_error_too_large": {
        "zh": "文件超过 {mb} MB，请压缩或截取部分后再提交，也可以先不附文件提交工单。",
        "en": "The file is larger than {mb} MB: crop or shorten it, or file the ticket without it.",
    },
    "filing_ok_attached": {"zh": "工单已提交，附件已一并上传。", "en": "Ticket filed with its attachment."},
    "filing_error_file": {
        "zh": "工单已提交，但附件未上传：只能上传截图（PNG、JPEG、GIF、WebP）或文本日志文件。可在下方重新上传。",
        "en": "The ticket is filed, but the file was not attached: only screenshots (PNG, JPEG, GIF, WebP) and plain-text log files are accepted. You can upload another below.",
    },
    "filing_error_file_size": {
        "zh": "工单已提交，但附件未上传：文件超过 {mb} MB。请压缩或截取部分后在下方重新上传。",
        "en": "The ticket is filed, but the file was not attached: it is larger than {mb} MB. Crop or shorten it and upload it below.",
    },
    "filing_error_file_empty": {
        "zh": "工单已提交，但附件未上传：文件是空的。可在下方重新上传。",
        "en": "The ticket is filed, but the file was not attached: it is empty. You can upload another below.",
    },
    "filing_error_file_other": {
        "zh": "工单已提交，但附件未能上传，请在下方重新上传。",
        "en": "The ticket is filed, but the file could not be attached; please upload it below.",
    },
}
