"""Preventive maintenance: inspection templates, plans and runs, findings that become
work, and early warnings from monitoring trends."""
