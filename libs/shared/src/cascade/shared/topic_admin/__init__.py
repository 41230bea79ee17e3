"""Kafka topics as declared state: the spec (`spec`), a pure diff against what a cluster
holds (`plan`), the admin client's reads and writes (`kafka_io`), and applying a plan
(`provision`). `cascade admin topics plan|apply` (`cli`) is the operator's way in; the
devstack and the tests provision through the same `provision.apply_topics`.
"""
