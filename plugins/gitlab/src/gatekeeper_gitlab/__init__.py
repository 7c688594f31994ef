"""gatekeeper-gitlab: the GitLab forge (to come) and the GitLab fake its tests run against."""
