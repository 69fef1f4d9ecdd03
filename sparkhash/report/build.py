"""Assemble the review page from the dups output: rank, pick the top clusters, thumbnail, render."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from pyspark.sql import DataFrame, SparkSession

from sparkhash.core.explain import COPY_OF
from sparkhash.dedup.keep import read_policy
from sparkhash.dedup.matchers import link_text
from sparkhash.report.clusters import cluster_stats, file_attributes, ranked, read_dups, top_members, totals
from sparkhash.report.page import DEFAULT_PAGE_SIZE, render_page
from sparkhash.report.thumbnails import DEFAULT_SIZE, make_thumbnails
from sparkhash.spark.paths import hadoop_reader

DEFAULT_TOP = 1000
DEFAULT_MAX_MEMBERS = 24


@dataclass(frozen=True)
class ReportRequest:
    """What to report and how (the options of `sparkhash report`)."""

    dups: str
    output: Path
    hashes: DataFrame | None = None  # attributes source (path, length, width, height)
    top: int = DEFAULT_TOP
    max_members: int = DEFAULT_MAX_MEMBERS
    thumbnail_size: int = DEFAULT_SIZE
    page_size: int = DEFAULT_PAGE_SIZE
    workers: int = 4
    progress: Callable[[int, int], None] | None = None  # called as thumbnails are made


@dataclass
class ReportResult:
    """Counts for the command's summary line."""

    images: int
    clusters: int
    to_delete: int
    bytes_reclaimable: int | None
    shown: int
    thumbnails: int
    placeholders: int
    html_bytes: int


def _int(value) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def _links(links) -> list:
    """A member's links to the kept file (kept_links; None: none)."""
    return list(links) if links is not None else []


def _link_text(links) -> str:
    """'phash 3', 'crop_resistant 0 (2 segments)' or 'robust (41 inliers)' for the pairs joining
    a member to the kept file: each algorithm's matcher kind says how (`dedup.matchers.link_text`)."""
    parts = []
    for link in links if links is not None else []:
        if link is None:
            continue
        parts.append(link_text(link["algorithm"], link["distance"], link["matched_segments"]))
    return ", ".join(parts)


#: A relation word of B-relative-to-A read the other way round (A relative to B).
_INVERSE = {"crop": "contains", "contains": "crop", "framed": "crop"}


def _box_list(box) -> list[float] | None:
    """[x0, y0, x1, y1] fractions of a box struct, None when absent."""
    if box is None:
        return None
    values = [box["x0"], box["y0"], box["x1"], box["y1"]]
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values):
        return None
    return [round(float(v), 4) for v in values]


def relation_text(link) -> str:
    """How a member relates to the kept file, from its pair's relation columns (`kept_links`):
    'crop of the kept file · crop', 'rotation 90° · mirror', 'overlay · differs 12 %'; '' for
    a pair without relation columns."""
    if link is None or link["relation"] is None:
        return ""
    words = link["relation"].split("+")
    rotation = link["rotation"] or 0.0
    if not link["member_is_b"]:  # the columns describe the kept file relative to this member
        words = [_INVERSE.get(w, w) for w in words]
        rotation = rotation if link["mirrored"] else -rotation
    parts = []
    for word in dict.fromkeys(words):
        parts.append(f"rotation {rotation:g}\u00b0" if word == "rotation" else word)
    differing = link["differing"]
    if differing is not None and not math.isnan(differing) and differing >= 0.01:
        parts.append(f"differs {differing:.0%}")
    text = " \u00b7 ".join(parts)
    if link["other_is_original"] and link["evidence"]:
        text = f"{COPY_OF.get(link['evidence'], link['evidence'] + ' copy of')} the kept file \u00b7 {text}"
    return text


def label_text(link) -> str:
    """The row label of a member's pair with the kept file (`top_members`' label, e.g.
    'orientation: rotate_90': what turns the pair's path_b into its path_a), read from this
    member: 'orientation: rotate_90 (this file \u2192 kept file)' when this member is path_b,
    '(kept file \u2192 this file)' when it is path_a; '' for a pair without a label."""
    if link is None or link["label"] is None:
        return ""
    way = "this file \u2192 kept file" if link["member_is_b"] else "kept file \u2192 this file"
    return f"{link['label']} ({way})"


def _relation_link(links):
    """The first of a member's links to the kept file that carries a relation (None: none)."""
    for link in links if links is not None else []:
        if link is not None and link["relation"] is not None:
            return link
    return None


def page_data(top: pd.DataFrame, members: pd.DataFrame, thumbs: dict, page_size: int) -> dict:
    """The JSON embedded in the page: clusters in rank order with their members, and thumbnails."""
    thumb_list: list[str] = []
    thumb_index: dict[str, int] = {}
    for path, thumb in thumbs.items():
        if thumb.data_uri is not None:
            thumb_index[path] = len(thumb_list)
            thumb_list.append(thumb.data_uri)
    by_cluster: dict[str, list[dict]] = {}
    for m in members.sort_values(["cluster", "rank"]).to_dict("records"):
        by_cluster.setdefault(str(m["cluster"]), []).append(m)
    clusters = []
    for order, row in enumerate(top.itertuples(index=False)):
        out_members = []
        for m in by_cluster.get(str(row.cluster), []):
            thumb = thumbs.get(m["path"])
            length, width, height = _int(m["length"]), _int(m["width"]), _int(m["height"])
            rel = _relation_link(m["kept_links"])
            out_members.append(
                {
                    "p": m["path"],
                    "k": bool(m["keep"]),
                    "len": length if length is not None else (thumb.length if thumb else None),
                    "w": width if width is not None else (thumb.width if thumb else None),
                    "h": height if height is not None else (thumb.height if thumb else None),
                    "t": thumb_index.get(m["path"], -1),
                    "err": None if thumb is None or thumb.error is None else thumb.error[:120],
                    "links": _link_text(m["kept_links"]),
                    "near": _int(m["nearest"]),
                    # the relation to the kept file, this file's matched box and the kept file's
                    "rel": " \u00b7 ".join(
                        text
                        for text in [relation_text(rel), *(label_text(x) for x in _links(m["kept_links"]))]
                        if text
                    ),
                    "box": _box_list(rel["own_box"]) if rel is not None else None,
                    "kbox": _box_list(rel["other_box"]) if rel is not None else None,
                }
            )
        reclaim = _int(row.reclaimable)
        if reclaim is None:  # no hash table: what the shown, readable non-kept files weigh
            known = [x["len"] for x in out_members if not x["k"] and x["len"] is not None]
            reclaim = sum(known) if known else None
        clusters.append(
            {
                "id": str(row.cluster),
                "order": order,
                "size": int(row.size),
                "shown": len(out_members),
                "max_d": _int(row.max_distance),
                "min_d": _int(row.min_distance),
                "algs": list(row.algorithms) if row.algorithms is not None else [],
                "reclaim": reclaim,
                "members": out_members,
            }
        )
    return {"clusters": clusters, "thumbs": thumb_list, "page_size": page_size}


def build_report(spark: SparkSession, request: ReportRequest) -> ReportResult:
    """Write the review page for `request.dups` to `request.output`."""
    clusters, pairs = read_dups(spark, request.dups)
    attributes = file_attributes(request.hashes) if request.hashes is not None else None
    if attributes is not None:
        attributes = attributes.cache()
    stats = cluster_stats(clusters, pairs, attributes).cache()
    total = totals(stats)
    top = ranked(stats).limit(request.top).toPandas()
    members = (
        top_members(clusters, pairs, attributes, top, request.max_members)
        if len(top)
        else pd.DataFrame(
            columns=["cluster", "path", "keep", "length", "width", "height", "rank", "kept_links", "nearest"]
        )
    )
    thumbs = make_thumbnails(
        members["path"], request.thumbnail_size, request.workers, request.progress, hadoop_reader(spark)
    )
    data = page_data(top, members, thumbs, request.page_size)
    summary = {
        **asdict(total),
        "shown": len(top),
        "source": request.dups,
        "policy": read_policy(spark, request.dups),
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    document = render_page(data, summary)
    request.output.parent.mkdir(parents=True, exist_ok=True)
    request.output.write_text(document, encoding="utf-8")
    stats.unpersist()
    placeholders = sum(1 for t in thumbs.values() if t.data_uri is None)
    return ReportResult(
        images=total.images,
        clusters=total.clusters,
        to_delete=total.to_delete,
        bytes_reclaimable=total.bytes_reclaimable,
        shown=len(top),
        thumbnails=len(thumbs) - placeholders,
        placeholders=placeholders,
        html_bytes=len(document.encode("utf-8")),
    )
