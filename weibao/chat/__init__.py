"""The chat assistant: grounded, multi-turn answers from the knowledge base, hand-over to tickets."""
