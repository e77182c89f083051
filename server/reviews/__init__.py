"""CORE: reviewers' scorecards on a session: the criteria, the ratings, who may see whose."""
