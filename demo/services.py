"""Start and stop the local stand-ins the demo needs: moto server and the Salesforce org emulator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emulator.aws import MotoServer, start_moto_server
from emulator.salesforce.launcher import SalesforceServer, start_server


@dataclass
class Services:
    """Both stand-ins; ``stop`` is safe to call more than once."""

    aws: MotoServer
    salesforce: SalesforceServer

    def stop(self) -> None:
        self.salesforce.stop()
        self.aws.stop()


def start_services(work_dir: Path) -> Services:
    aws = start_moto_server()
    try:
        return Services(aws, start_server(work_dir / "salesforce"))
    except BaseException:
        aws.stop()
        raise
