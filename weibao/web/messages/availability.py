"""UI strings for how the assigned engineer could respond: normal shift or on call."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "desk_factor_availability": {"zh": "可响应时段", "en": "Availability"},
    "desk_availability_on_shift": {
        "zh": "正常班次内，可在响应时限前处理",
        "en": "On the normal shift before the response is due",
    },
    "desk_availability_on_call": {
        "zh": "正常班次外，由值班工程师响应（仅 P1/P2 紧急工单会派给值班人员）",
        "en": "Outside the normal shift, reached on call (only P1/P2 urgent tickets go to the on-call engineer)",
    },
}
