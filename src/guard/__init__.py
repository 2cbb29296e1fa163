"""guard: did this branch keep its contract?"""

__version__ = "0.1.0"
