"""Run an acyclic Haystack pipeline without per-component deep copies.

Why: Haystack 3's ``Pipeline.run`` deep-copies every component's inputs, and copying a
384-float embedding checks each float against a runtime Protocol. Measured on the query
pipeline: 24 ms of a 45 ms ask went to those copies; on the indexing pipeline, a sixth of
the time. Our components never mutate their inputs (they return new Documents), so both
paths walk the same pipeline graph (the pipeline stays the single definition,
serialisable to YAML) and hand outputs over as they are.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
from haystack import Pipeline


def run_acyclic(pipeline: Pipeline, data: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every component's outputs, computed in topological order; same inputs as ``Pipeline.run``."""
    graph = pipeline.graph
    inputs: dict[str, dict[str, Any]] = {name: dict(data.get(name, {})) for name in graph.nodes}
    outputs: dict[str, dict[str, Any]] = {}
    for name in nx.topological_sort(graph):
        result = dict(pipeline.get_component(name).run(**inputs[name]))  # a Mapping by the protocol; a few keys
        outputs[name] = result
        for _, receiver, edge in graph.out_edges(name, data=True):
            inputs[receiver][edge["to_socket"].name] = result[edge["from_socket"].name]
    return outputs
