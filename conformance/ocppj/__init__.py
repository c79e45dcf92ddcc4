"""OCPP-J 2.0.1 frame pipeline: frames, schemas, validation, RPC correlation, transcript.

Pure and synchronous; nothing here does I/O except loading the schema files once.
"""
