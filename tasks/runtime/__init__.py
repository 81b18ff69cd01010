"""The stage contract and what runs it: watchdog, lifeline, atomic writes, the workspace,
the audit log."""
