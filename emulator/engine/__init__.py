"""Offline Pulumi engine: a test harness that runs a Python Pulumi program without the Pulumi CLI."""

from .engine import BANNER, Engine, EngineError, EngineRunError, RunResult

__all__ = ["BANNER", "Engine", "EngineError", "EngineRunError", "RunResult"]
