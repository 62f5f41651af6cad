"""Stories: articles about one event across languages (similarity, online clustering, lineage,
naming, maintenance).

Main entry points::

    from newsloom.stories import StoryClusterer, make_item, apply_lineage, describe_story
"""

from newsloom.stories.cluster import Assignment, ClusterItem, StoryClusterer, make_item
from newsloom.stories.lineage import (
    LineageItem,
    LineageMark,
    apply_lineage,
    assign_lineage,
)
from newsloom.stories.cluster import rebuild_from_store
from newsloom.stories.maintenance import merge_converging
from newsloom.stories.naming import describe_story

__all__ = [
    "Assignment",
    "ClusterItem",
    "LineageItem",
    "LineageMark",
    "StoryClusterer",
    "apply_lineage",
    "assign_lineage",
    "describe_story",
    "make_item",
    "merge_converging",
    "rebuild_from_store",
]
