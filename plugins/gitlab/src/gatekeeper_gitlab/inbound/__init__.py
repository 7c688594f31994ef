"""Results and waivers from a compose's merge request: comments, labels, emoji, statuses."""
