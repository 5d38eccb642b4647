"""How a monitoring alert is named and identified."""

from __future__ import annotations

from weibao.routing.alerts import MAX_KEY, MonitoringAlert
from weibao.routing.planning import MAX_DESCRIPTION, MAX_TITLE


def test_without_a_fingerprint_the_labels_identify_the_alert_in_any_order() -> None:
    a = MonitoringAlert("firing", {"alertname": "PacsDown", "instance": "pacs-01"})
    b = MonitoringAlert("resolved", {"instance": "pacs-01", "alertname": "PacsDown"})
    c = MonitoringAlert("firing", {"alertname": "PacsDown", "instance": "pacs-02"})
    assert a.key == b.key != c.key and a.key.startswith("labels:")
    assert MonitoringAlert("firing", fingerprint="f" * 500).key == ("fp:" + "f" * 500)[:MAX_KEY]


def test_title_prefers_the_summary_and_falls_back_to_name_and_instance() -> None:
    assert MonitoringAlert("firing", {"alertname": "X"}, {"summary": "PACS存储快满"}).title == "[监控告警] PACS存储快满"
    assert MonitoringAlert("firing", {"alertname": "PacsDown", "instance": "pacs-01"}).title == "[监控告警] PacsDown pacs-01"
    assert MonitoringAlert("firing").title == "[监控告警] monitoring alert"
    long = MonitoringAlert("firing", {}, {"summary": "卡" * 500, "description": "慢" * 20_000})
    assert len(long.title) == MAX_TITLE and len(long.description) == MAX_DESCRIPTION


def test_description_carries_the_labels_and_start_time() -> None:
    alert = MonitoringAlert("firing", {"severity": "critical", "alertname": "A"}, {"description": "磁盘 95%"},
                            starts_at="2026-11-26T01:00:00Z")
    assert alert.description == "磁盘 95%\nalertname=A\nseverity=critical\nstartsAt=2026-11-26T01:00:00Z"
