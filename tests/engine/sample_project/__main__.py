"""Sample stack: a component with a key, a self-signed certificate and a dynamic record."""

import pulumi
import pulumi_tls as tls

from sample_providers import Record

config = pulumi.Config()


class Bundle(pulumi.ComponentResource):
    """Key + certificate + a record of the certificate in the remote."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("sample:index:Bundle", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.key = tls.PrivateKey(f"{name}-key", algorithm="RSA", rsa_bits=config.get_int("rsaBits") or 2048,
                                  opts=pulumi.ResourceOptions(parent=self,
                                                              replacement_trigger=config.get_int("keyGeneration")))
        self.cert = tls.SelfSignedCert(
            f"{name}-cert", private_key_pem=self.key.private_key_pem,
            subject=tls.SelfSignedCertSubjectArgs(common_name=config.require("commonName")),
            validity_period_hours=config.require_int("validityHours"),
            early_renewal_hours=config.get_int("earlyRenewalHours") or 0,
            allowed_uses=["digital_signature", "client_auth"], opts=child)
        self.record = Record(
            f"{name}-record", record_name=config.require("recordName"), value=config.require("recordValue"),
            cert_pem=self.cert.cert_pem, token=config.require_secret("apiToken"),
            opts=pulumi.ResourceOptions(parent=self, protect=config.get_bool("protectRecord") or False,
                                        additional_secret_outputs=["receipt"]))
        self.register_outputs({"certPem": self.cert.cert_pem, "fingerprint": self.record.fingerprint})


bundle = Bundle("web")
if config.get_bool("extraRecord"):
    Record("extra-record", record_name="extra", value="x", cert_pem=bundle.cert.cert_pem,
           token=config.require_secret("apiToken"), opts=pulumi.ResourceOptions(depends_on=[bundle.record]))

pulumi.log.info("sample program ran")
pulumi.export("certPem", bundle.cert.cert_pem)
pulumi.export("notAfter", bundle.cert.validity_end_time)
pulumi.export("privateKeyPem", bundle.key.private_key_pem)
pulumi.export("fingerprint", bundle.record.fingerprint)
pulumi.export("receipt", bundle.record.receipt)
pulumi.export("token", bundle.record.token)
pulumi.export("recordValue", bundle.record.value)
