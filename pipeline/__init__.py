"""Build an open archive, data package and website from Chinese government information-disclosure annual reports."""

# Bump when a stage's output changes, so that per-report caches are invalidated.
PIPELINE_VERSION = "1"
