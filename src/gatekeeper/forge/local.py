"""The built-in ``local`` forge: a bare git repository per product under ``var/forge/``.

Merge requests are the store's ``merge_requests`` rows (the service writes them);
this forge keeps the branches: ``main`` (the last published compose, starting as
an empty root commit) and ``compose/<id>``, one commit on top of ``main`` each.
It is registered as a plugin (:mod:`gatekeeper.forge.plugin`), through the same hook as
any outside forge.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from gatekeeper.forge import ForgeMR
from gatekeeper.forge.gitrepo import MAIN, ComposeRepo

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class LocalForge:
    """Compose Repos on disk; merge request records live in the store."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._repos: dict[str, ComposeRepo] = {}

    def repo(self, product: str) -> ComposeRepo:
        if not _SAFE.match(product):
            raise ValueError(f"product {product!r} cannot name a repository")
        if product not in self._repos:
            self._repos[product] = ComposeRepo(self.root / f"{product}.git")
        return self._repos[product]

    def location(self, product: str) -> str:
        return str(self.root / f"{product}.git")

    def main_head(self, product: str) -> str | None:
        return self.repo(product).branch_head(MAIN)

    def _on_main(
        self, repo: ComposeRepo, branch: str, tree: str, message: str, when: datetime
    ) -> ForgeMR:
        """The branch as one commit holding ``tree`` on top of main (kept if it is already)."""
        base = repo.branch_head(MAIN)
        assert base is not None
        head = repo.branch_head(branch)
        if head is not None and repo.tree_of(head) == tree and repo.parents_of(head) == [base]:
            return ForgeMR(None, branch, head, tree, base)
        commit = repo.commit(tree, [base], message, when=when)
        repo.set_branch(branch, commit, expect=head)
        return ForgeMR(None, branch, commit, tree, base)

    def propose(
        self,
        product: str,
        branch: str,
        files: Mapping[str, bytes],
        *,
        title: str,
        description: str,
        when: datetime,
        number: int | None = None,
    ) -> ForgeMR:
        repo = self.repo(product)
        tree = repo.write_tree(files)
        proposed = self._on_main(repo, branch, tree, title, when)
        return ForgeMR(number, branch, proposed.head_commit, tree, proposed.base_commit)

    def rebase(self, product: str, branch: str, *, message: str, when: datetime) -> ForgeMR:
        repo = self.repo(product)
        head = repo.branch_head(branch)
        if head is None:
            raise LookupError(f"branch {branch} does not exist in {self.location(product)}")
        return self._on_main(repo, branch, repo.tree_of(head), message, when)

    def describe(self, product: str, branch: str, *, title: str, description: str) -> None:
        """Local merge requests are the store's rows: nothing to do on disk."""

    def merge(self, product: str, branch: str, *, message: str, when: datetime) -> str:
        repo = self.repo(product)
        head = repo.branch_head(branch)
        main = repo.branch_head(MAIN)
        if head is None or main is None:
            raise LookupError(f"branch {branch} does not exist in {self.location(product)}")
        if repo.tree_of(main) == repo.tree_of(head):
            return main  # merged already
        if repo.parents_of(head) != [main]:
            head = self._on_main(repo, branch, repo.tree_of(head), message, when).head_commit
        repo.set_branch(MAIN, head, expect=main)
        return head

    def close(self, product: str, branch: str, *, reason: str) -> None:
        """The branch stays, so a closed merge request can still be read."""

    def discard(self, product: str, branch: str) -> None:
        self.repo(product).delete_branch(branch)
