"""Stand-in ``pulumi-resource-tls`` plugin: test equipment that the real Pulumi CLI loads as package ``tls``.

The real pulumi-tls provider cannot be built on this machine (its Go modules are not served here), so this
package serves the real ResourceProvider gRPC protocol from Python, with ``cryptography`` doing the work.
See docs/tls-plugin.md. Nothing here imports the product (``components/``).
"""

PACKAGE = "tls"
VERSION = "5.6.2"  # matches the pulumi-tls Python SDK pinned in requirements.txt
