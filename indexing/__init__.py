"""Second layer: embedding models (dense and sparse) and the Qdrant index.

Imports only from ``corpus``.
"""

from corpus.offline import enforce_offline

enforce_offline()
