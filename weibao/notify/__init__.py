"""Notifications: who is told what about a ticket, through an outbox with retries.

Ticket events (assignment, escalation, SLA warning, reply, resolution) become outbox
messages for the hospital's and the engineer's channels (e-mail over SMTP, WeCom and
DingTalk group robots); a scheduled job delivers them, once across every worker, with
exponential backoff. The messages carry no free text: codes, taxonomy names and words.
"""
