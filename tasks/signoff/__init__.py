"""Who may open the DPO gate and how each opening is keyed."""
