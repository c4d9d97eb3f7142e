"""NEC Assistant: questions about Labour NEC meeting reports, answered with dated verbatim quotes."""

import os

# Idle OpenMP threads (FAISS's, and torch's where it runs) spin while they wait; when the other
# core is busy with another request, that made a question's encoding many times slower (README).
# Set before either library is imported, since OpenMP reads it once at start.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
