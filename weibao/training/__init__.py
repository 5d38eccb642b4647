"""Training by role: sessions held for a hospital's clinicians, IT staff and management,
measured against the contract's training commitment, and printable handbooks per audience."""
