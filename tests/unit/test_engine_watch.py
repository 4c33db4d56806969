"""The provider host's engine watch: which command lines it watches, and how it tells a live engine."""

import socket

from components.providers.engine_watch import engine_address, engine_alive


def test_engine_address_is_the_loopback_argument_of_the_provider_host():
    assert engine_address(["-m", "127.0.0.1:41649"]) == ("127.0.0.1", 41649)
    assert engine_address(["x", "--flag", "localhost:5"]) == ("localhost", 5)


def test_no_watch_outside_a_provider_host():
    assert engine_address(["pytest", "tests/unit", "-k", "host:1"]) is None
    assert engine_address(["x", "10.0.0.1:80"]) is None  # never anything but loopback


def test_engine_alive_follows_the_listening_socket():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    address = server.getsockname()
    assert engine_alive(address)
    server.close()
    assert not engine_alive(address)
