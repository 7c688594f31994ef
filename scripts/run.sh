#!/usr/bin/env bash
# The main job on the embedded default (SQLite + local forge, state under ./var):
# import the example composes, report results, decide, publish, and show the Compose Repo.
set -u
cd "$(dirname "$0")/.."
GK=.venv/bin/gatekeeper
BASE=CentOS-Stream-9-20261124.0
N1=CentOS-Stream-9-20261125.n.0
N2=CentOS-Stream-9-20261126.n.0
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
decide() { $GK decide "$1"; [ $? -ne 2 ] || exit 2; }

step "Policies"
$GK policy check policies || exit 2

step "Watch the compose tree: each finished compose is imported once and gets a merge request"
$GK watch examples/composes --once || exit 2

step "Results for $BASE (t_functional, RDO, IdM) and a waiver"
$GK result add "$BASE" --file examples/results.json || exit 2
$GK result add "$BASE" idm.sssd.smoke PASSED --arch aarch64 --id 303 \
    --ref-url https://ci.example.org/idm/303 || exit 2
$GK waive "$BASE" rdo.tempest.smoke --scenario packstack --arch aarch64 \
    -m "known aarch64 nova flake, tracked in RDO-1234" || exit 2
decide "$BASE"

step "Publish $BASE: its MR is merged, the nightlies' MRs are re-rendered onto the new main"
$GK compose published "$BASE" || exit 2

step "Results for the nightlies"
$GK result add "$N1" --file "examples/results-$N1.json" || exit 2
$GK result add "$N2" --file "examples/results-$N2.json" || exit 2
decide "$N1"
decide "$N2"

step "Publish the passing nightly $N2: the older $N1 is superseded"
$GK compose published "$N2" || exit 2

step "Merge requests"
$GK mr list || exit 2
$GK mr show "$N2" || exit 2

REPO=var/forge/CentOS-Stream-9.git
step "The Compose Repo is $REPO"
git -C "$REPO" log --oneline --graph --all 2>/dev/null | head -20
cat <<TXT

Look around:
  git -C $REPO log --stat main
  git -C $REPO diff compose/$BASE compose/$N1
  git -C $REPO show main:builds/k/kernel.yaml
TXT
