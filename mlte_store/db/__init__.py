"""The store's internals (not public API): everything between the facade and the tables."""
