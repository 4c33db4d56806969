// Drives the Salesforce emulator with jsforce 3 (Node): JWT token via OAuth2 and Connection.authorize,
// metadata read, deploy (+ complete), retrieve, a token error, and what a production org refuses to a
// least-privilege integration user (limits, identity) and to a deployer (testLevel NoTestRun).
// Input: JSON on stdin. Output: one JSON line.
'use strict';
const fs = require('fs');
const jsforce = require('jsforce');

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

async function main() {
  const input = JSON.parse(fs.readFileSync(0, 'utf8'));
  const out = {};

  const oauth2 = new jsforce.OAuth2({ loginUrl: input.login_url, clientId: input.consumer_key });
  const raw = await oauth2.requestToken({ grant_type: JWT_BEARER, assertion: input.assertion });
  out.requestToken = { hasAccessToken: Boolean(raw.access_token), instanceUrl: raw.instance_url };

  const conn = new jsforce.Connection({ loginUrl: input.login_url, version: input.version });
  const info = await conn.authorize({ grant_type: JWT_BEARER, assertion: input.assertion });
  out.authorize = { userId: info.id, organizationId: info.organizationId, instanceUrl: conn.instanceUrl };
  out.resources = Object.keys(await conn.request(`/services/data/v${input.version}/`));
  const own = await conn.query(`SELECT Id, Username FROM User WHERE Id = '${info.id}'`);
  out.ownUser = own.records.map((r) => r.Username);
  out.limits = await refusal(() => conn.request(`/services/data/v${input.version}/limits`));
  out.identity = await refusal(() => conn.identity());

  const admin = new jsforce.Connection({
    instanceUrl: input.instance_url, accessToken: input.admin_token, version: input.version,
  });
  const [app] = await admin.metadata.read('ConnectedApp', [input.app_name]);
  out.read = {
    fullName: app.fullName, consumerKey: app.oauthConfig.consumerKey,
    isAdminApproved: app.oauthConfig.isAdminApproved, scopes: app.oauthConfig.scopes,
  };
  out.certificate = app.oauthConfig.certificate;
  const [glbl] = await admin.metadata.read('ExtlClntAppGlobalOauthSettings', [input.eca_global_name]);
  out.ecaGlobal = { fullName: glbl.fullName, hasConsumerKey: 'consumerKey' in glbl, certificate: glbl.certificate };

  const zip = Buffer.from(input.zip_base64, 'base64');
  const deployed = await admin.metadata.deploy(zip, { singlePackage: true, rollbackOnError: true }).complete(true);
  const successes = [].concat(deployed.details.componentSuccesses || []);
  out.deploy = {
    status: deployed.status, success: deployed.success, done: deployed.done,
    numberComponentsDeployed: deployed.numberComponentsDeployed,
    files: successes.map((s) => s.fileName).sort(),
  };

  const retrieved = await admin.metadata.retrieve({
    apiVersion: input.version, singlePackage: true,
    unpackaged: { types: [{ name: 'ConnectedApp', members: [input.app_name] }], version: input.version },
  }).complete();
  out.retrieve = { status: retrieved.status, hasZip: Boolean(retrieved.zipFile) };
  out.noTestRun = await refusal(
    () => admin.metadata.deploy(zip, { singlePackage: true, rollbackOnError: true, testLevel: 'NoTestRun' }).complete(true));

  try {
    await new jsforce.Connection({ loginUrl: input.login_url }).authorize({ grant_type: JWT_BEARER, assertion: 'x.y.z' });
    out.tokenError = null;
  } catch (err) {
    out.tokenError = { name: err.name, message: err.message };
  }
  try {
    await new jsforce.Connection({ instanceUrl: input.instance_url, accessToken: '00Dbad!x', version: input.version })
      .metadata.read('ConnectedApp', [input.app_name]);
    out.soapFault = null;
  } catch (err) {
    out.soapFault = { name: err.name };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

async function refusal(call) {
  try {
    await call();
    return null;
  } catch (err) {
    return { name: err.name, errorCode: err.errorCode, message: err.message };
  }
}

main().catch((err) => {
  process.stderr.write(`${err.name}: ${err.message}\n`);
  process.exit(1);
});
