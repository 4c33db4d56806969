"""Stack settings: defaults, derived values and every validation rule (except deployer credentials)."""

from __future__ import annotations

import json

import pytest
from cryptography import x509

from components import settings as S
from components.settings import SettingsError, load_settings
from tests.fixtures.certificates import make_cert, make_ec_key, make_rsa_key, pem_cert, pem_key

AUTH_URL = "force://PlatformCLI::5Aep861refresh.token@acme.my.salesforce.com"


def base(**overrides):
    config = {
        "salesforceLoginUrl": "https://acme.my.salesforce.com",
        "appName": "Acme_JWT",
        "contactEmail": "admin@example.com",
        "integrationUsername": "integration@acme.example.com",
        "awsRegion": "eu-west-1",
        "deployerAuthUrl": AUTH_URL,
    }
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}


def load(stack="dev", env=None, **overrides):
    return load_settings(base(**overrides), stack=stack, env=env or {})


def problems(**overrides) -> list[str]:
    with pytest.raises(SettingsError) as info:
        load(**overrides)
    return [str(p) for p in info.value.problems]


def only_problem(**overrides) -> str:
    found = problems(**overrides)
    assert len(found) == 1, found
    return found[0]


# ---------------------------------------------------------------- defaults and derived values


def test_defaults_and_derived_values():
    s = load()
    assert s.salesforce.login_url == "https://acme.my.salesforce.com"
    assert s.salesforce.token_url == "https://acme.my.salesforce.com/services/oauth2/token"
    assert s.salesforce.audience == "https://acme.my.salesforce.com"
    assert s.salesforce.api_version == "66.0"
    assert s.app.kind == "external-client-app"
    assert s.app.label == "Acme JWT"
    assert s.app.scopes == ("Api", "RefreshToken")
    assert s.app.permission_set_name == "Acme_JWT_Access"
    assert s.app.permission_sets == ("Acme_JWT_Access",)
    assert s.app.delete_on_destroy is False
    assert (s.certificate.key_algorithm, s.certificate.key_size) == ("RSA", 2048)
    assert s.certificate.validity_hours == 365 * 24
    assert s.certificate.early_renewal_hours == 365 * 24 // 3
    assert s.certificate.common_name == "Acme_JWT"
    assert s.certificate.mode == "self-signed" and not s.certificate.awaiting_ca_signature
    assert s.secret.name == "salesforce/jwt/dev/Acme_JWT"
    assert s.secret.recovery_window_days == 30
    assert s.secret.tags["managed-by"] == "salesforce-jwt-pulumi"
    assert s.secret.tags["salesforce-jwt:stack"] == "dev"
    assert s.operations.rotation == 0 and s.operations.rotation_strategy == "single"
    assert s.operations.verification_budget_seconds == 1800
    assert s.operations.deploy_timeout_seconds == 600
    assert [(x.name, x.app_name) for x in s.slots] == [("a", "Acme_JWT")]
    assert s.warnings == ()


def test_connected_app_has_shorter_verification_budget():
    assert load(appKind="connected-app").operations.verification_budget_seconds == 600


def test_blue_green_slots():
    s = load(rotationStrategy="blue-green", appLabel="Acme")
    assert [(x.name, x.app_name, x.label) for x in s.slots] == [
        ("a", "Acme_JWT_A", "Acme (A)"),
        ("b", "Acme_JWT_B", "Acme (B)"),
    ]
    assert s.slot("b").app_name == "Acme_JWT_B"
    with pytest.raises(KeyError):
        load().slot("b")


def test_explicit_values_are_kept():
    s = load(
        salesforceTokenUrl="https://acme.my.salesforce.com/services/oauth2/token/",
        jwtAudience="https://login.salesforce.com",
        appKind="connected-app",
        apiVersion=64,
        appLabel="Acme integration",
        appDescription="Nightly sync",
        scopes='["Api", "Web", "RefreshToken"]',
        permissionSetName="Sync_Access",
        extraPermissionSets=["Existing_Set", "acme__Packaged"],
        profiles='["System Administrator"]',
        keySize="4096",
        certificateValidityDays="730",
        renewBeforeDays=30,
        certificateCommonName="acme-sync",
        certificateOrganization="Acme",
        secretName="team/acme",
        kmsKeyId="alias/acme",
        tags={"team": "integrations"},
        secretReaderArns=["arn:aws:iam::123456789012:role/sync"],
        recoveryWindowDays="7",
        awsEndpointUrl="http://127.0.0.1:5000",
        rotation="3",
        verificationBudgetSeconds=0,
        deployTimeoutSeconds=120.0,
        deleteAppOnDestroy="true",
    )
    assert s.salesforce.token_url == "https://acme.my.salesforce.com/services/oauth2/token"
    assert s.salesforce.audience == "https://login.salesforce.com"
    assert s.salesforce.api_version == "64.0"
    assert s.app.scopes == ("Api", "Web", "RefreshToken")
    assert s.app.permission_sets == ("Sync_Access", "Existing_Set", "acme__Packaged")
    assert s.app.profiles == ("System Administrator",)
    assert s.certificate.key_size == 4096 and s.certificate.early_renewal_hours == 30 * 24
    assert s.secret.tags["team"] == "integrations" and s.secret.kms_key_id == "alias/acme"
    assert s.aws.endpoint_url == "http://127.0.0.1:5000"
    assert s.operations.rotation == 3 and s.operations.deploy_timeout_seconds == 120
    assert s.app.delete_on_destroy is True


def test_prefixed_keys_and_other_namespaces():
    config = {f"salesforce-jwt:{k}": v for k, v in base().items()}
    config["aws:region"] = "us-east-1"  # another provider's key: not ours to validate
    assert load_settings(config, stack="dev", env={}).app.name == "Acme_JWT"


def test_region_from_environment():
    assert load(awsRegion=None, env={"AWS_DEFAULT_REGION": "us-west-2"}).aws.region == "us-west-2"
    assert (
        load(awsRegion=None, env={"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "us-west-2"}).aws.region
        == "eu-central-1"
    )
    assert "awsRegion: is required" in only_problem(awsRegion=None)


# ---------------------------------------------------------------- one error listing everything


def test_all_problems_are_reported_together():
    found = problems(
        salesforceLoginUrl="http://login.salesforce.com",
        appName="9lives",
        contactEmail="nope",
        keySize=1024,
        recoveryWindowDays=3,
        rotationStrategy="red-black",
    )
    keys = {p.split(" ")[0] for p in found}
    assert keys == {
        "salesforceLoginUrl",
        "appName",
        "contactEmail",
        "keySize",
        "recoveryWindowDays",
        "rotationStrategy",
    }


def test_error_message_names_stack_count_and_fix():
    with pytest.raises(SettingsError) as info:
        load(appName="9lives", keySize=1024)
    text = str(info.value)
    assert text.startswith("stack 'dev': 2 configuration problems")
    assert "pulumi config set" in text
    assert "appName = '9lives': must start with a letter" in text


def test_required_settings_are_named():
    found = problems(salesforceLoginUrl=None, appName=None, contactEmail=None, integrationUsername=None)
    for key in ("salesforceLoginUrl", "appName", "contactEmail", "integrationUsername"):
        assert any(p.startswith(f"{key}: is required") for p in found), (key, found)


def test_empty_string_counts_as_unset():
    assert "appName: is required" in only_problem(appName="  ")
    assert load(appLabel="").app.label == "Acme JWT"


def test_unknown_key_suggests_the_closest():
    assert "did you mean 'appName'" in only_problem(apName="x")
    assert "did you mean 'scopes'" in only_problem(scope='["Api"]')
    assert "did you mean 'keySize'" in only_problem(key_size="2048")
    assert "see docs/configuration.md" in only_problem(totallyUnrelatedThing="1")


def test_bad_stack_name():
    with pytest.raises(SettingsError, match="stack"):
        load(stack="my stack")


# ---------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    "url, normalised",
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://test.salesforce.com/", "https://test.salesforce.com"),
        ("HTTPS://Acme.My.Salesforce.com", "https://acme.my.salesforce.com"),
        ("https://acme--uat.sandbox.my.salesforce.com", "https://acme--uat.sandbox.my.salesforce.com"),
        ("https://acme-dev-ed.develop.my.salesforce.com", "https://acme-dev-ed.develop.my.salesforce.com"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
        ("https://localhost", "https://localhost"),
        ("https://[::1]:9", "https://[::1]:9"),
    ],
)
def test_login_url_accepted(url, normalised):
    assert S.validate_login_url(url) == normalised


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("http://login.salesforce.com", "plain http is never accepted"),
        ("http://127.0.0.1:8443", "plain http is never accepted"),
        ("ftp://login.salesforce.com", "must be an https:// URL"),
        ("https://login.salesforce.com/services/oauth2/token", "without a path"),
        ("https://login.salesforce.com?x=1", "query string"),
        ("https://user:pw@login.salesforce.com", "user:password@"),
        ("https://login.salesforce.com:8443", "port is only allowed for loopback"),
        ("https://acme.lightning.force.com", "Lightning UI host"),
        ("https://example.com", "is not a Salesforce login URL"),
        ("https://acme--uat.my.salesforce.com", "is not a Salesforce login URL"),
        ("https://127.0.0.1:99999", "invalid port"),
        ("https://", "has no host"),
    ],
)
def test_login_url_refused(url, fragment):
    with pytest.raises(ValueError, match=fragment.replace("?", r"\?")):
        S.validate_login_url(url)


def test_login_url_problem_shows_value_and_accepted_forms():
    message = only_problem(salesforceLoginUrl="https://example.com")
    assert message.startswith("salesforceLoginUrl = 'https://example.com'")
    assert "https://<mydomain>.my.salesforce.com" in message


def test_token_url_rules():
    assert "must end with /services/oauth2/token" in only_problem(salesforceTokenUrl="https://acme.my.salesforce.com")
    assert "plain http" in only_problem(salesforceTokenUrl="http://acme.my.salesforce.com/services/oauth2/token")
    site = "https://acme.my.site.com/partners/services/oauth2/token"
    assert load(salesforceTokenUrl=site).salesforce.token_url == site


def test_eca_refuses_test_salesforce_audience():
    message = only_problem(salesforceLoginUrl="https://test.salesforce.com")
    assert message.startswith("salesforceLoginUrl")
    assert "app_not_found" in message and "My Domain" in message
    message = only_problem(jwtAudience="https://test.salesforce.com")
    assert message.startswith("jwtAudience")
    connected = load(salesforceLoginUrl="https://test.salesforce.com", appKind="connected-app")
    assert connected.salesforce.audience == "https://test.salesforce.com"


def test_eca_with_login_salesforce_audience_warns():
    s = load(salesforceLoginUrl="https://login.salesforce.com")
    assert any("My Domain" in w for w in s.warnings)


def test_ca_bundle(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(pem_cert(make_cert(make_rsa_key(2048))))
    assert load(salesforceCaBundle=str(bundle)).salesforce.ca_bundle == bundle.resolve()
    assert "file not found" in only_problem(salesforceCaBundle=str(tmp_path / "missing.pem"))
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    assert "contains no PEM certificate" in only_problem(salesforceCaBundle=str(junk))


def test_loopback_without_ca_bundle_warns():
    s = load(salesforceLoginUrl="https://127.0.0.1:8443")
    assert any("salesforceCaBundle" in w for w in s.warnings)


@pytest.mark.parametrize("value, expected", [("66.0", "66.0"), (60, "60.0"), (67.0, "67.0"), ("63", "63.0")])
def test_api_version_accepted(value, expected):
    assert load(apiVersion=value).salesforce.api_version == expected


@pytest.mark.parametrize("value", ["59.0", "68.0", "66.5", "v66.0", "latest"])
def test_api_version_refused(value):
    assert "between 60.0 and 67.0" in only_problem(apiVersion=value)


# ---------------------------------------------------------------- app


def test_app_kind_suggestion():
    message = only_problem(appKind="connected_app")
    assert "did you mean 'connected-app'" in message and "external-client-app" in message


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("9lives", "must start with a letter"),
        ("_Acme", "must start with a letter"),
        ("Acme__JWT", "two underscores"),
        ("Acme_", "must not end with an underscore"),
        ("Acme-JWT", "only letters, digits and single underscores"),
        ("Acmé", "only letters, digits"),
        ("A" * 41, "at most 40"),
    ],
)
def test_app_name_refused(name, fragment):
    assert fragment in only_problem(appName=name)


def test_app_name_limit_is_shorter_for_blue_green():
    assert load(appName="A" * 40).app.name == "A" * 40
    assert "at most 38" in only_problem(appName="A" * 40, rotationStrategy="blue-green")


def test_label_and_description_limits():
    assert "at most 255" in only_problem(appLabel="x" * 256)
    assert "one line" in only_problem(appLabel="two\nlines")
    assert "at most 256" in only_problem(appDescription="x" * 257)


@pytest.mark.parametrize("email", ["nope", "a@b", "a b@example.com", "@example.com"])
def test_contact_email_refused(email):
    assert "email-shaped" in only_problem(contactEmail=email)


def test_integration_username_rules():
    assert "email-shaped" in only_problem(integrationUsername="integration")
    assert "at most 80" in only_problem(integrationUsername="a" * 70 + "@example.com")


# ---------------------------------------------------------------- scopes


def test_scopes_case_sensitive_with_suggestion():
    assert "did you mean 'Api'" in only_problem(scopes=["api", "RefreshToken"])
    assert "did you mean 'RefreshToken'" in only_problem(scopes=["Api", "refresh_token"])
    assert "did you mean 'OpenID'" in only_problem(scopes=["Api", "RefreshToken", "OpenId"])


def test_scope_not_in_wsdl_lists_accepted():
    message = only_problem(scopes=["Api", "RefreshToken", "Bogus"])
    assert "ConnectedAppOauthAccessScope" in message and "Chatter" in message


def test_refresh_token_is_required():
    message = only_problem(scopes=["Api"])
    assert "must include 'RefreshToken'" in message and "pre-authorized" in message


def test_scope_duplicates_and_empty_and_aliases():
    assert "more than once" in only_problem(scopes=["Api", "Api", "RefreshToken"])
    assert "must not be empty" in only_problem(scopes="[]")
    assert "stored by Salesforce as 'RefreshToken'" in only_problem(scopes=["Api", "OfflineAccess"])


def test_list_settings_accept_json_or_lists_and_refuse_the_rest():
    assert load(scopes=json.dumps(["Api", "RefreshToken"])).app.scopes == ("Api", "RefreshToken")
    assert "YAML or JSON" in only_problem(scopes="Api,RefreshToken")
    assert "must be a list" in only_problem(scopes='{"a": 1}')
    assert "non-empty string" in only_problem(profiles=["", "System Administrator"])


# ---------------------------------------------------------------- permission sets, profiles


def test_permission_set_rules():
    assert "two underscores" in only_problem(permissionSetName="Acme__Access")
    assert "at most 80" in only_problem(permissionSetName="P" * 81)
    long_app = "A" * 40
    assert load(appName=long_app).app.permission_set_name == f"{long_app}_Access"


def test_extra_permission_sets():
    assert "more than once" in only_problem(extraPermissionSets=["X_Set", "X_Set"])
    assert "repeats 'Acme_JWT_Access'" in only_problem(extraPermissionSets=["Acme_JWT_Access"])
    assert "namespace prefix" in only_problem(extraPermissionSets=["1ns__Thing"])
    assert load(extraPermissionSets=["ns__Thing"]).app.extra_permission_sets == ("ns__Thing",)


def test_profiles():
    assert "more than once" in only_problem(profiles=["System Administrator", "System Administrator"])
    assert "at most 255" in only_problem(profiles=["p" * 256])


# ---------------------------------------------------------------- key and certificate


@pytest.mark.parametrize("algorithm", ["ECDSA", "ED25519", "ecdsa"])
def test_non_rsa_refused_with_reason(algorithm):
    assert "accepts RS256 signatures only" in only_problem(keyAlgorithm=algorithm)


def test_unknown_algorithm_and_lowercase_rsa():
    assert "accepted: RSA" in only_problem(keyAlgorithm="DSA")
    assert load(keyAlgorithm="rsa").certificate.key_algorithm == "RSA"


@pytest.mark.parametrize(
    "size, fragment",
    [
        (1024, "below 2048"),
        (2047, "below 2048"),
        (2560, "accepted: 2048"),
        (8192, "accepted: 2048"),
        ("big", "whole number"),
    ],
)
def test_key_size_refused(size, fragment):
    assert fragment in only_problem(keySize=size)


@pytest.mark.parametrize("days", [0, 3651, -1, "1.5", True])
def test_validity_refused(days):
    assert "certificateValidityDays" in only_problem(certificateValidityDays=days)


def test_renew_before_rules():
    assert "less than certificateValidityDays (30)" in only_problem(certificateValidityDays=30, renewBeforeDays=30)
    assert "whole number >= 1" in only_problem(renewBeforeDays=0)
    assert load(certificateValidityDays=1).certificate.early_renewal_hours == 8


def test_common_name_and_organization_limits():
    assert "at most 64" in only_problem(certificateCommonName="c" * 65)
    assert "at most 64" in only_problem(certificateOrganization="o" * 65)


def test_ca_signed_without_certificate_outputs_csr_only():
    s = load(certificateMode="ca-signed")
    assert s.certificate.awaiting_ca_signature
    assert any("only outputs the CSR" in w for w in s.warnings)


def test_ca_signed_certificate_checked():
    good = pem_cert(make_cert(make_rsa_key(2048))).decode()
    assert load(certificateMode="ca-signed", caCertificatePem=good).certificate.ca_certificate_pem == good
    weak = pem_cert(make_cert(make_rsa_key(1024))).decode()
    assert "at least 2048" in only_problem(certificateMode="ca-signed", caCertificatePem=weak)
    ec = pem_cert(make_cert(make_ec_key())).decode()
    assert "RS256" in only_problem(certificateMode="ca-signed", caCertificatePem=ec)
    key_pem = pem_key(make_rsa_key(2048)).decode()
    message = only_problem(certificateMode="ca-signed", caCertificatePem=key_pem)
    assert "private key was given" in message
    assert "PRIVATE KEY-----" not in message and "MII" not in message


def test_ca_certificate_needs_ca_signed_mode():
    good = pem_cert(make_cert(make_rsa_key(2048))).decode()
    message = only_problem(caCertificatePem=good)
    assert "only used with certificateMode: ca-signed" in message
    assert "BEGIN" not in message


def test_certificate_mode_choices():
    assert "accepted: self-signed, ca-signed" in only_problem(certificateMode="acme")


# ---------------------------------------------------------------- AWS


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("", None),
        ("has space", "1-512 characters"),
        ("x" * 513, "1-512 characters"),
        ("prod/app-abc123", "six characters"),
        ("bad#name", "1-512 characters"),
    ],
)
def test_secret_name_refused(name, fragment):
    if not name:
        assert load(secretName=name).secret.name == "salesforce/jwt/dev/Acme_JWT"
        return
    assert fragment in only_problem(secretName=name)


@pytest.mark.parametrize(
    "kms",
    [
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "mrk-1234abcd12ab34cd56ef1234567890ab",
        "alias/acme-key",
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:eu-west-1:123456789012:alias/acme",
    ],
)
def test_kms_key_accepted(kms):
    assert load(kmsKeyId=kms).secret.kms_key_id == kms


def test_kms_key_refused():
    assert "KMS key id" in only_problem(kmsKeyId="my-key")


def test_tag_rules():
    assert "reserved prefix 'aws:'" in only_problem(tags={"aws:team": "x"})
    assert "set by the component" in only_problem(tags={"managed-by": "me"})
    assert "1-128" in only_problem(tags={"k" * 129: "x"})
    assert "0-256" in only_problem(tags={"k": "v" * 257})
    assert "0-256" in only_problem(tags={"k": "semi;colon"})
    assert "must all be strings" in only_problem(tags={"count": 3})
    assert "at most 47" in only_problem(tags={f"k{i}": "v" for i in range(48)})
    assert load(tags='{"cost centre": "1234"}').secret.tags["cost centre"] == "1234"


def test_reader_arns():
    assert "IAM ARN" in only_problem(secretReaderArns=["arn:aws:s3:::bucket"])
    assert "more than once" in only_problem(secretReaderArns=["arn:aws:iam::123456789012:root"] * 2)
    s = load(secretReaderArns=["arn:aws:iam::123456789012:user/ci", "arn:aws-us-gov:iam::123456789012:role/a/b"])
    assert len(s.secret.reader_arns) == 2


@pytest.mark.parametrize("days", [6, 31, "thirty"])
def test_recovery_window_refused(days):
    assert "between 7 and 30" in only_problem(recoveryWindowDays=days)


def test_region_refused():
    assert "AWS region name" in only_problem(awsRegion="Europe")


def test_endpoint_http_only_for_loopback():
    assert "http is allowed for 127.0.0.1/localhost only" in only_problem(awsEndpointUrl="http://moto.internal:5000")
    assert load(awsEndpointUrl="https://secretsmanager.eu-west-1.amazonaws.com").aws.endpoint_url
    assert load(awsEndpointUrl="http://localhost:5000/").aws.endpoint_url == "http://localhost:5000"


# ---------------------------------------------------------------- operations


def test_operation_ranges():
    assert ">= 0" in only_problem(rotation=-1)
    assert "between 0 and 7200" in only_problem(verificationBudgetSeconds=7201)
    assert "between 30 and 7200" in only_problem(deployTimeoutSeconds=5)
    assert "true or false" in only_problem(deleteAppOnDestroy="yes")
    assert "did you mean 'blue-green'" in only_problem(rotationStrategy="bluegreen")


def test_settings_are_frozen():
    s = load()
    with pytest.raises(AttributeError):
        s.app.name = "Other"  # type: ignore[misc]


def test_ca_bundle_type_is_certificate_bundle(tmp_path):
    # the bundle may hold several CAs; each is parsed
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(pem_cert(make_cert(make_rsa_key(2048))) + pem_cert(make_cert(make_rsa_key(2048))))
    assert len(x509.load_pem_x509_certificates(bundle.read_bytes())) == 2
    assert load(salesforceCaBundle=str(bundle)).salesforce.ca_bundle == bundle.resolve()


def test_ca_signed_needs_single_strategy():
    message = only_problem(certificateMode="ca-signed", rotationStrategy="blue-green")
    assert "certificateMode" in message and "rotationStrategy single" in message
    assert load(certificateMode="ca-signed").certificate.awaiting_ca_signature


# ---------------------------------------------------------------- issue 9: testLevel and existing consumer keys


def test_test_level_is_not_sent_by_default():
    assert load().salesforce.test_level is None


@pytest.mark.parametrize(
    "login",
    [
        "https://test.salesforce.com",
        "https://acme--uat.sandbox.my.salesforce.com",
        "https://acme-dev-ed.develop.my.salesforce.com",
        "https://acme.scratch.my.salesforce.com",
        "https://127.0.0.1:8443",
    ],
)
def test_no_test_run_is_accepted_where_the_org_may_not_be_production(login):
    assert (
        load(salesforceLoginUrl=login, appKind="connected-app", testLevel="NoTestRun").salesforce.test_level
        == "NoTestRun"
    )


@pytest.mark.parametrize("login", ["https://login.salesforce.com", "https://acme.my.salesforce.com"])
def test_no_test_run_is_refused_for_production_with_the_reason(login):
    problem = only_problem(salesforceLoginUrl=login, testLevel="NoTestRun")
    assert problem.startswith("testLevel = 'NoTestRun'")
    assert "testLevel of NoTestRun cannot be used in production organizations" in problem
    assert "leave testLevel unset" in problem


@pytest.mark.parametrize("level", ["RunLocalTests", "RunAllTestsInOrg"])
def test_other_test_levels_are_kept(level):
    assert load(testLevel=level).salesforce.test_level == level


@pytest.mark.parametrize(
    "level, fragment",
    [
        ("RunSpecifiedTests", "names of the tests"),
        ("runlocaltests", "did you mean 'RunLocalTests'"),
        ("Everything", "accepted: NoTestRun, RunLocalTests"),
    ],
)
def test_unknown_test_levels_are_refused(level, fragment):
    assert fragment in only_problem(testLevel=level)


def test_existing_consumer_keys_name_this_stacks_apps():
    s = load(existingConsumerKeys={"Acme_JWT": "3MVG9abc.DEF_ghi"})
    assert s.app.existing_consumer_keys == (("Acme_JWT", "3MVG9abc.DEF_ghi"),)
    assert load().app.existing_consumer_keys == ()
    blue_green = load(rotationStrategy="blue-green", existingConsumerKeys='{"Acme_JWT_A": "KeyForSlotA1"}')
    assert dict(blue_green.app.existing_consumer_keys) == {"Acme_JWT_A": "KeyForSlotA1"}
    assert "this stack's apps are Acme_JWT" in only_problem(existingConsumerKeys={"Other_App": "KeyForOther1"})
    assert "the key for Acme_JWT" in only_problem(existingConsumerKeys={"Acme_JWT": "short"})


@pytest.mark.parametrize("value", ["abc", True, "4k"])
def test_a_key_size_that_is_no_number_names_the_accepted_sizes(value):
    """Issue 12: 'keySize = abc: must be a whole number >= 0' did not say which sizes work."""
    assert only_problem(keySize=value) == f"keySize = {value!r}: must be a whole number: 2048, 3072 or 4096"


@pytest.mark.parametrize(
    ("key", "example"),
    [
        ("secretReaderArns", "arn:aws:iam::123456789012:role/orders-reader"),
        ("scopes", "RefreshToken"),
        ("profiles", "Integration User"),
    ],
)
def test_a_list_given_as_one_string_shows_an_example_of_that_setting(key, example):
    """Issue 12: secretReaderArns given as one string was answered with the scopes' example."""
    message = only_problem(**{key: "arn:aws:iam::123456789012:role/reader" if key == "secretReaderArns" else "x"})
    assert "must be a list written as YAML or JSON" in message and example in message
    assert key == "scopes" or "RefreshToken" not in message
