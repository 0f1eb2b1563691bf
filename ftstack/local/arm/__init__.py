"""The local Azure's management plane: ARM resource ids, the SQLite store and the per-type ARM rules
(`handlers`), and the HTTP routes that translate requests into calls on them (`routes`)."""
