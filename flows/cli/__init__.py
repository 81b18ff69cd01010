"""The `clearance` command line and the local stack it supervises."""
