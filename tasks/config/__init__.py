"""What a release is configured by: the request, the profile, keys, error types, PHI sidecars."""
