"""The outbound side's hooks: the merge request follows the decision."""
