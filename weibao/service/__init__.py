"""Service management: contracts (versions), service reports, quarterly reviews, knowledge gaps."""
