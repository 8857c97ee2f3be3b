"""The evidence behind trained claims: the second-order certificate is required, and the
families of the relations drawn are counted per claim and in the summary."""

from __future__ import annotations

from tests.verify.helpers import TRAINED_BODY, TRUE_BODY, audit, by_id, claim_source


def test_a_trained_claim_without_the_second_order_certificate_is_an_error(tmp_path,
                                                                          claims_dir):
    claims_dir("first_order", claim_source("T-C1", TRUE_BODY, tags=("trains",)))
    claims_dir("proxy", claim_source("T-C2", TRUE_BODY, tags=("trains", "proxy")))
    code, doc, out = audit(tmp_path)
    assert code == 2, out
    c1, c2 = by_id(doc)["T-C1"], by_id(doc)["T-C2"]
    assert c1["numeric"]["verdict"] == "ERROR"
    assert "must record extra['min_tangent_eig']" in c1["numeric"]["message"]
    assert c2["verdict"] == "HOLDS"  # a proxy experiment has no certified optimum


def test_families_are_counted_per_claim_and_in_the_summary(tmp_path, claims_dir):
    claims_dir("trained", claim_source("T-C1", TRAINED_BODY, tags=("trains",)))
    code, doc, out = audit(tmp_path)
    assert code == 0, out
    numeric = by_id(doc)["T-C1"]["numeric"]
    coverage = numeric["coverage"]["graph"]
    assert sum(coverage.values()) == numeric["trials"] == 6
    assert set(coverage) <= {"path", "ring", "views"}
    assert numeric["measurements"]["min_tangent_eig"]["min"] >= 0.5
    trained = doc["summary"]["trained"]
    assert (trained["claims"], trained["holding"], trained["enough_trials"],
            trained["with_min_tangent_eig"]) == (1, 1, 0, 1)  # 6 trials < 20
    assert trained["enough_families"] == (len(coverage) >= 3)
    md = (tmp_path / "report" / "claims.md").read_text()
    assert "trials per family: graph: " in md
    assert "Trained claims: 1 (proxies aside); of the 1 that hold, 0 ran >= 20 trials" in md


def test_declared_families_count_as_enough_when_every_one_is_drawn(tmp_path, claims_dir):
    # Two families admitted, both drawn: enough, though fewer than three; listed with the
    # reason in the summary and on the claim.
    claims_dir("restricted", claim_source(
        "T-C1", TRAINED_BODY.replace('"path(n=4)", "ring(n=5)", ', '"labels(sizes=2-3)", '),
        tags=("trains",), families=("labels", "views"), families_why="needs cliques"))
    code, doc, out = audit(tmp_path)
    assert code == 0, out
    claim = by_id(doc)["T-C1"]
    assert (claim["families"], claim["families_why"]) == (["labels", "views"], "needs cliques")
    trained = doc["summary"]["trained"]
    assert trained["enough_families"] == 1
    assert trained["restricted"] == {"T-C1": {"families": ["labels", "views"],
                                              "why": "needs cliques"}}
    md = (tmp_path / "report" / "claims.md").read_text()
    assert "- [T-C1](#t-c1): labels, views: needs cliques" in md
    assert "Relation families admitted: labels, views (needs cliques)." in md


def test_a_declared_family_left_undrawn_is_not_enough(tmp_path, claims_dir):
    claims_dir("restricted", claim_source(
        "T-C1", TRAINED_BODY.replace('"path(n=4)", "ring(n=5)", ', ''), tags=("trains",),
        families=("labels", "views"), families_why="needs cliques"))
    code, doc, out = audit(tmp_path)
    assert code == 0, out
    assert doc["summary"]["trained"]["enough_families"] == 0


def test_a_trial_drawing_an_undeclared_family_is_an_error(tmp_path, claims_dir):
    claims_dir("restricted", claim_source("T-C1", TRAINED_BODY, tags=("trains",),
                                          families=("views",), families_why="two branches"))
    code, doc, out = audit(tmp_path)
    assert code == 2, out
    numeric = by_id(doc)["T-C1"]["numeric"]
    assert numeric["verdict"] == "ERROR"
    assert "outside the declared families=('views',)" in numeric["message"]


WORST_LATER = """
@claim.numeric(grid={"n": [0, 2, 5, 1]})
def _(n):
    return float(n)
"""


def test_the_worst_trial_is_recorded_and_replays_its_worst_error(tmp_path, claims_dir):
    from verify import replay

    claims_dir("worst", claim_source("T-C1", WORST_LATER, expected="FAILS", tags=("sweep",)))
    code, doc, out = audit(tmp_path)
    assert code == 0, out
    numeric = by_id(doc)["T-C1"]["numeric"]
    assert numeric["counterexample"] == {"n": 2}  # the first failing point
    assert numeric["worst_trial"] == {"n": 5}
    assert numeric["worst_error"] == 5.0
    assert "{'n': 5}" in numeric["reproduce"][-1]
    assert replay("T-C1", numeric["worst_trial"], profile="quick",
                  claims_dir=claims_dir.dir).error == numeric["worst_error"]
    md = (tmp_path / "report" / "claims.md").read_text()
    assert 'worst trial: `{"n": 5}`' in md
