import { CLAIM_CLIENT_ID_PREFIX } from './policies';

/** What the Pi bootstrap script needs: the values an `EdgeFleet` writes as stack outputs. */
export interface BootstrapSettings {
  /** Stack the values come from (for the script's header only). */
  readonly stackName?: string;
  readonly region: string;
  readonly thingGroupName: string;
  readonly provisioningTemplateName: string;
  readonly roleAlias: string;
  readonly iotDataEndpoint: string;
  readonly iotCredentialEndpoint: string;
  /** Claim certificate id (the script fetches its PEM with the AWS CLI unless a file is given). */
  readonly claimCertificateId?: string;
  /** Secret with the claim private key (generated claim certificates only). */
  readonly claimKeySecretArn?: string;
  /** Greengrass nucleus version to install (default: `PINNED_NUCLEUS.version`). */
  readonly nucleusVersion?: string;
  /** SHA-256 (hex) of that version's zip; required for a version other than the pinned one. */
  readonly nucleusSha256?: string;
  /** Fleet provisioning plugin version (default: `PINNED_PROVISIONING_PLUGIN.version`). */
  readonly provisioningPluginVersion?: string;
  /** SHA-256 (hex) of that version's jar; required for a version other than the pinned one. */
  readonly provisioningPluginSha256?: string;
}

/** A download the script checks before it uses it. */
export interface PinnedDownload {
  readonly version: string;
  /** Lower-case hex SHA-256 of the file. */
  readonly sha256: string;
}

/**
 * The nucleus the script installs by default, with the SHA-256 of `greengrass-<version>.zip`. The digest is the one
 * AWS's own Yocto layer checks for the same file (aws4embeddedlinux/meta-aws,
 * `recipes-iot/aws-iot-greengrass/greengrass-bin_2.16.0.bb`, which builds and ptests it); it could not be
 * re-downloaded here. The nucleus zip has no published checksum of its own; its jar is signed (`jarsigner -verify`
 * needs a JDK, which a Pi does not have), so the script checks the digest.
 */
export const PINNED_NUCLEUS: PinnedDownload = {
  version: '2.16.0',
  sha256: 'f07742c76eca868617127b5c6c9028e41c45c2b4ec25dd0db6f3b40ef7638b4e',
};

/**
 * The fleet provisioning plugin the script installs by default (1.2.2: retries MQTT connects forever since 1.2.1),
 * with the SHA-256 of `fleetprovisioningbyclaim-<version>.jar` from meta-aws's
 * `greengrass-plugin-fleetprovisioning_1.2.2.bb`.
 */
export const PINNED_PROVISIONING_PLUGIN: PinnedDownload = {
  version: '1.2.2',
  sha256: '1e7fdc625d4e1e7795d63f0e97981feecad526277bf211154505de145009e8c1',
};

/** How long the script waits for the device certificate once the nucleus runs (it provisions in the background). */
export const PROVISIONING_WAIT_SECONDS = 600;

/** Where AWS publishes the Greengrass nucleus and its plugins. */
export const GREENGRASS_RELEASES = 'https://d2s8p88vqu9w66.cloudfront.net/releases';
/** Amazon's root CA for the ATS endpoints. */
export const AMAZON_ROOT_CA_URL = 'https://www.amazontrust.com/repository/AmazonRootCA1.pem';

const CHECKS: Array<[keyof BootstrapSettings, RegExp, string]> = [
  ['region', /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'an AWS Region such as eu-west-1'],
  ['thingGroupName', /^[A-Za-z0-9:_-]{1,128}$/, 'a thing group name'],
  ['provisioningTemplateName', /^[A-Za-z0-9_-]{1,36}$/, 'a provisioning template name'],
  ['roleAlias', /^[\w=,@-]{1,128}$/, 'an IoT role alias name'],
  ['iotDataEndpoint', /^[A-Za-z0-9.-]{1,253}$/, 'a host name such as abc123-ats.iot.eu-west-1.amazonaws.com'],
  ['iotCredentialEndpoint', /^[A-Za-z0-9.-]{1,253}$/, 'a host name such as abc123.credentials.iot.eu-west-1.amazonaws.com'],
  ['claimCertificateId', /^[0-9a-f]{64}$/, 'a certificate id (64 hex characters)'],
  ['claimKeySecretArn', /^arn:[a-z-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/, 'a Secrets Manager secret ARN'],
  ['nucleusVersion', /^\d+\.\d+\.\d+$/, 'a version such as 2.16.0'],
  ['nucleusSha256', /^[0-9a-f]{64}$/, 'a SHA-256 in lower-case hex (64 characters)'],
  ['provisioningPluginVersion', /^\d+\.\d+\.\d+$/, 'a version such as 1.2.2'],
  ['provisioningPluginSha256', /^[0-9a-f]{64}$/, 'a SHA-256 in lower-case hex (64 characters)'],
];

/**
 * Checks the settings (they are written into the script inside single quotes, so only safe characters pass).
 *
 * @returns one message per bad value, empty when all are fine
 */
export function bootstrapSettingsProblems(settings: BootstrapSettings): string[] {
  const problems: string[] = [];
  for (const [key, pattern, what] of CHECKS) {
    const value = settings[key];
    if (value !== undefined && value !== '' && !pattern.test(value)) {
      problems.push(`${key} must be ${what}, got '${value}'`);
    }
  }
  if (settings.nucleusVersion && settings.nucleusVersion !== PINNED_NUCLEUS.version && !settings.nucleusSha256) {
    problems.push(`nucleusVersion ${settings.nucleusVersion} is not the pinned ${PINNED_NUCLEUS.version}: give its `
      + 'SHA-256 too (--nucleus-sha256), computed from a download you trust');
  }
  if (settings.provisioningPluginVersion && settings.provisioningPluginVersion !== PINNED_PROVISIONING_PLUGIN.version
    && !settings.provisioningPluginSha256) {
    problems.push(`provisioningPluginVersion ${settings.provisioningPluginVersion} is not the pinned `
      + `${PINNED_PROVISIONING_PLUGIN.version}: give its SHA-256 too (--provisioning-plugin-sha256)`);
  }
  return problems;
}

/** `'value'` for bash (the values are checked to hold no quote). */
function q(value: string): string {
  return `'${value}'`;
}

/**
 * The bash script that joins a fresh 64-bit Raspberry Pi OS device to the fleet (fleet provisioning by claim).
 * Idempotent: on a device that is already provisioned it only makes sure the service runs, and never runs the
 * installer's `--init-config` again (that would erase the device's configuration).
 */
export function renderBootstrapScript(settings: BootstrapSettings): string {
  const problems = bootstrapSettingsProblems(settings);
  if (problems.length > 0) {
    throw new Error(`cannot write the bootstrap script: ${problems.join('; ')}`);
  }
  const version = settings.nucleusVersion ?? PINNED_NUCLEUS.version;
  const nucleusSha256 = settings.nucleusSha256 ?? PINNED_NUCLEUS.sha256;
  const pluginVersion = settings.provisioningPluginVersion ?? PINNED_PROVISIONING_PLUGIN.version;
  const pluginSha256 = settings.provisioningPluginSha256 ?? PINNED_PROVISIONING_PLUGIN.sha256;
  const nucleusUrl = `${GREENGRASS_RELEASES}/greengrass-${version}.zip`;
  const pluginUrl = `${GREENGRASS_RELEASES}/aws-greengrass-FleetProvisioningByClaim/fleetprovisioningbyclaim-${pluginVersion}.jar`;
  const thingPrefix = settings.thingGroupName.slice(0, 100);
  const source = settings.stackName ? `stack ${settings.stackName}, ` : '';

  return `#!/usr/bin/env bash
# Joins this device to the modelfleet edge fleet ${settings.thingGroupName} (${source}${settings.region}):
# installs a JRE and the AWS IoT Greengrass nucleus ${version} with the fleet provisioning plugin ${pluginVersion}
# (both checked against pinned SHA-256 digests), which provisions the device by claim and runs as a service; once the
# device has its own certificate the fleet-wide claim key is deleted from it.
# Written by 'modelfleet pi-bootstrap': regenerate it rather than editing it.
#
# Run as root on 64-bit Raspberry Pi OS:   sudo bash bootstrap.sh
# What the Pi needs:
#   - a 64-bit OS (arm64: Pi 3B+, 4, 5, Zero 2 W; or an x86-64 gateway), root, apt, and HTTPS access to
#     d2s8p88vqu9w66.cloudfront.net, www.amazontrust.com and the fleet's IoT endpoints (port 8883 or 443);
#   - AWS credentials ONLY if the claim files are not given: without MODELFLEET_CLAIM_CERT/MODELFLEET_CLAIM_KEY the
#     script runs the AWS CLI (installed if missing) with whatever credentials the Pi has, needing
#     iot:DescribeCertificate on the claim certificate and secretsmanager:GetSecretValue on the claim key's secret.
#     With both files given, no AWS credentials are needed or used: the device gets its own from provisioning.
# Optional environment:
#   MODELFLEET_THING_NAME   this device's thing name (default: ${thingPrefix}-<12 hex of /etc/machine-id>)
#   MODELFLEET_CLAIM_CERT   claim certificate PEM file (default: fetched with the AWS CLI)
#   MODELFLEET_CLAIM_KEY    claim private key PEM file (default: fetched from Secrets Manager with the AWS CLI)
#   MODELFLEET_GG_ROOT      Greengrass root folder (default: /greengrass/v2)
#   MODELFLEET_INSTALL_DIR  installer download folder (default: /var/lib/modelfleet/greengrass-installer)
set -euo pipefail

readonly FLEET_REGION=${q(settings.region)}
readonly THING_GROUP_NAME=${q(settings.thingGroupName)}
readonly THING_NAME_PREFIX=${q(thingPrefix)}
readonly PROVISIONING_TEMPLATE=${q(settings.provisioningTemplateName)}
readonly IOT_ROLE_ALIAS=${q(settings.roleAlias)}
readonly IOT_DATA_ENDPOINT=${q(settings.iotDataEndpoint)}
readonly IOT_CRED_ENDPOINT=${q(settings.iotCredentialEndpoint)}
readonly CLAIM_CERTIFICATE_ID=${q(settings.claimCertificateId ?? '')}
readonly CLAIM_KEY_SECRET_ARN=${q(settings.claimKeySecretArn ?? '')}
readonly NUCLEUS_URL=${q(nucleusUrl)}
readonly NUCLEUS_SHA256=${q(nucleusSha256)}
readonly PLUGIN_URL=${q(pluginUrl)}
readonly PLUGIN_SHA256=${q(pluginSha256)}
readonly ROOT_CA_URL=${q(AMAZON_ROOT_CA_URL)}

GG_ROOT="\${MODELFLEET_GG_ROOT:-/greengrass/v2}"
INSTALL_DIR="\${MODELFLEET_INSTALL_DIR:-/var/lib/modelfleet/greengrass-installer}"
MACHINE_ID_FILE="\${MODELFLEET_MACHINE_ID_FILE:-/etc/machine-id}"
CLAIM_CERT_SOURCE="\${MODELFLEET_CLAIM_CERT:-}"
CLAIM_KEY_SOURCE="\${MODELFLEET_CLAIM_KEY:-}"
readonly GG_ROOT INSTALL_DIR MACHINE_ID_FILE CLAIM_CERT_SOURCE CLAIM_KEY_SOURCE
readonly CLAIM_DIR="\${GG_ROOT}/claim-certs"
readonly CLAIM_CERT="\${CLAIM_DIR}/claim.pem.crt"
readonly CLAIM_KEY="\${CLAIM_DIR}/claim.private.pem.key"
readonly ROOT_CA="\${GG_ROOT}/AmazonRootCA1.pem"
# The device certificate the provisioning plugin writes (FleetProvisioningByClaimPlugin: DEFAULT_CERT_FILE under rootPath).
readonly DEVICE_CERT="\${GG_ROOT}/thingCert.crt"
readonly INSTALLED_MARKER="\${GG_ROOT}/.modelfleet-provisioned"
PROVISION_WAIT="\${MODELFLEET_PROVISION_WAIT_SECONDS:-${PROVISIONING_WAIT_SECONDS}}"
readonly PROVISION_WAIT

log() { printf 'modelfleet-bootstrap: %s\\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

require_64bit_os() {
  local machine arch
  machine="$(uname -m)"
  arch="$(dpkg --print-architecture 2>/dev/null || printf 'unknown')"
  case "\${machine}/\${arch}" in
    aarch64/arm64 | x86_64/amd64) return 0 ;;
  esac
  log "ERROR: this is a 32-bit or unsupported OS (uname -m: \${machine}, dpkg architecture: \${arch})."
  log "The modelfleet runtime needs a 64-bit OS: 64-bit Raspberry Pi OS (arm64) on a Pi 3B+, 4, 5 or Zero 2 W."
  log "Flash 'Raspberry Pi OS (64-bit)' with Raspberry Pi Imager, then run this script again."
  exit 3
}

require_root() {
  [ "$(id -u)" -eq 0 ] || die "run this script as root: sudo bash $0"
}

provisioned() {
  [ -s "\${DEVICE_CERT}" ] && grep -q 'BEGIN CERTIFICATE' "\${DEVICE_CERT}"
}

greengrass_installed() {
  [ -e "\${INSTALLED_MARKER}" ] || [ -e "\${GG_ROOT}/config/config.tlog" ] || [ -e "\${GG_ROOT}/config/effectiveConfig.yaml" ]
}

remove_claim_credentials() {
  if [ -e "\${CLAIM_DIR}" ]; then
    rm -rf "\${CLAIM_DIR}"
    log "removed the fleet's claim certificate and key from this device (it has its own certificate now)"
  fi
}

# The nucleus provisions in the background once its service runs (KernelLifecycle.executeProvisioningPlugin):
# wait for the device certificate, then delete the claim key, which is shared by the whole fleet.
wait_for_device_certificate() {
  local waited=0
  while ! provisioned; do
    if [ "\${waited}" -ge "\${PROVISION_WAIT}" ]; then
      log "ERROR: no device certificate (\${DEVICE_CERT}) after \${PROVISION_WAIT} s: provisioning has not finished."
      log "See \${GG_ROOT}/logs/greengrass.log. The claim key stays in \${CLAIM_DIR} until it has; run this script again to check."
      exit 4
    fi
    sleep 5
    waited=$((waited + 5))
  done
  remove_claim_credentials
}

ensure_service_running() {
  if command -v systemctl >/dev/null 2>&1; then
    systemctl enable --now greengrass.service || log "could not start greengrass.service: see 'systemctl status greengrass'"
  fi
}

check_paths() {
  local path
  for path in "\${GG_ROOT}" "\${INSTALL_DIR}"; do
    [[ "\${path}" =~ ^/[A-Za-z0-9._/-]+$ ]] || die "'\${path}' must be an absolute path of letters, digits, '.', '_', '-' and '/'"
  done
}

thing_name() {
  local name="\${MODELFLEET_THING_NAME:-}" id
  if [ -z "\${name}" ]; then
    [ -r "\${MACHINE_ID_FILE}" ] || die "cannot read \${MACHINE_ID_FILE}: set MODELFLEET_THING_NAME to this device's name"
    id="$(tr -dc '0-9a-f' < "\${MACHINE_ID_FILE}" | cut -c1-12)"
    [ -n "\${id}" ] || die "\${MACHINE_ID_FILE} holds no id: set MODELFLEET_THING_NAME to this device's name"
    name="\${THING_NAME_PREFIX}-\${id}"
  fi
  [[ "\${name}" =~ ^[A-Za-z0-9:_-]{1,128}$ ]] || die "thing name '\${name}' is invalid: use 1 to 128 letters, digits, ':', '_' or '-'"
  printf '%s' "\${name}"
}

# An LTS OpenJDK, as the nucleus is built for (Java 8 bytecode, CI on Corretto 8) and AWS's Yocto layer ships it
# (Java 11): 17 on Bookworm, 11 on Bullseye; the distribution's default JRE only when neither exists.
jre_package() {
  local pkg
  for pkg in openjdk-17-jre-headless openjdk-11-jre-headless; do
    if apt-cache show "\${pkg}" >/dev/null 2>&1; then
      printf '%s' "\${pkg}"
      return 0
    fi
  done
  printf 'default-jre-headless'
}

install_packages() {
  local missing=()
  command -v java >/dev/null 2>&1 || missing+=("$(jre_package)")
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v unzip >/dev/null 2>&1 || missing+=(unzip)
  if [ -z "\${CLAIM_CERT_SOURCE}" ] || [ -z "\${CLAIM_KEY_SOURCE}" ]; then
    command -v aws >/dev/null 2>&1 || missing+=(awscli)
  fi
  if [ "\${#missing[@]}" -gt 0 ]; then
    log "installing \${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "\${missing[@]}"
  fi
}

place_claim_credentials() {
  install -d -m 700 "\${CLAIM_DIR}"
  if [ -n "\${CLAIM_CERT_SOURCE}" ]; then
    install -m 600 "\${CLAIM_CERT_SOURCE}" "\${CLAIM_CERT}"
  elif [ -n "\${CLAIM_CERTIFICATE_ID}" ]; then
    (umask 077 && aws iot describe-certificate --region "\${FLEET_REGION}" --certificate-id "\${CLAIM_CERTIFICATE_ID}" \\
      --query certificateDescription.certificatePem --output text > "\${CLAIM_CERT}")
  else
    die "no claim certificate: set MODELFLEET_CLAIM_CERT to the claim certificate's PEM file"
  fi
  if [ -n "\${CLAIM_KEY_SOURCE}" ]; then
    install -m 600 "\${CLAIM_KEY_SOURCE}" "\${CLAIM_KEY}"
  elif [ -n "\${CLAIM_KEY_SECRET_ARN}" ]; then
    (umask 077 && aws secretsmanager get-secret-value --region "\${FLEET_REGION}" --secret-id "\${CLAIM_KEY_SECRET_ARN}" \\
      --query SecretString --output text > "\${CLAIM_KEY}")
  else
    die "this fleet's claim certificate was signed from your CSR: set MODELFLEET_CLAIM_KEY to its private key file"
  fi
  chmod 600 "\${CLAIM_CERT}" "\${CLAIM_KEY}"
  grep -q 'BEGIN CERTIFICATE' "\${CLAIM_CERT}" || die "\${CLAIM_CERT} is not a PEM certificate"
  grep -q 'PRIVATE KEY' "\${CLAIM_KEY}" || die "\${CLAIM_KEY} is not a PEM private key"
}

download() {
  curl --proto '=https' --tlsv1.2 -fsSL --retry 3 -o "$2" "$1"
}

# Downloads $1 to $2 and refuses it unless its SHA-256 is $3.
download_checked() {
  local actual
  download "$1" "$2"
  actual="$(sha256sum "$2" | cut -d' ' -f1)"
  if [ "\${actual}" != "$3" ]; then
    rm -f "$2"
    die "$1 has SHA-256 \${actual}, expected $3: not installing it (a changed or tampered download, or another version)"
  fi
}

fetch_greengrass() {
  install -d -m 755 "\${INSTALL_DIR}"
  download_checked "\${NUCLEUS_URL}" "\${INSTALL_DIR}/greengrass-nucleus.zip" "\${NUCLEUS_SHA256}"
  rm -rf "\${INSTALL_DIR}/GreengrassInstaller"
  unzip -q -o "\${INSTALL_DIR}/greengrass-nucleus.zip" -d "\${INSTALL_DIR}/GreengrassInstaller"
  download_checked "\${PLUGIN_URL}" "\${INSTALL_DIR}/aws.greengrass.FleetProvisioningByClaim.jar" "\${PLUGIN_SHA256}"
  download "\${ROOT_CA_URL}" "\${ROOT_CA}"
}

write_config() {
  cat > "\${INSTALL_DIR}/config.yaml" <<EOF
---
services:
  aws.greengrass.FleetProvisioningByClaim:
    configuration:
      rootPath: '\${GG_ROOT}'
      awsRegion: '\${FLEET_REGION}'
      iotDataEndpoint: '\${IOT_DATA_ENDPOINT}'
      iotCredentialEndpoint: '\${IOT_CRED_ENDPOINT}'
      iotRoleAlias: '\${IOT_ROLE_ALIAS}'
      provisioningTemplate: '\${PROVISIONING_TEMPLATE}'
      claimCertificatePath: '\${CLAIM_CERT}'
      claimCertificatePrivateKeyPath: '\${CLAIM_KEY}'
      rootCaPath: '\${ROOT_CA}'
      deviceId: '${CLAIM_CLIENT_ID_PREFIX}\${1:0:100}'
      templateParameters:
        ThingName: '$1'
        ThingGroupName: '\${THING_GROUP_NAME}'
EOF
}

main() {
  require_64bit_os
  require_root
  if provisioned; then
    log "already provisioned (\${DEVICE_CERT} exists): not running the installer again, its --init-config would erase this device's configuration."
    log "To provision it anew: stop greengrass.service, remove \${GG_ROOT}, run this script again."
    remove_claim_credentials
    ensure_service_running
    return 0
  fi
  if greengrass_installed; then
    if [ -e "\${INSTALLED_MARKER}" ]; then
      log "Greengrass is installed here but has no device certificate yet: waiting for provisioning to finish."
      ensure_service_running
      wait_for_device_certificate
      return 0
    fi
    log "ERROR: Greengrass is installed in \${GG_ROOT} (not by this script) and has no device certificate."
    log "Not running the installer: its --init-config would erase that configuration. Remove \${GG_ROOT} to start over."
    exit 5
  fi
  check_paths
  local thing
  thing="$(thing_name)"
  install_packages
  install -d -m 755 "\${GG_ROOT}"
  place_claim_credentials
  fetch_greengrass
  write_config "\${thing}"
  log "provisioning \${thing} into \${THING_GROUP_NAME} (\${FLEET_REGION})"
  java -Droot="\${GG_ROOT}" -Dlog.store=FILE -jar "\${INSTALL_DIR}/GreengrassInstaller/lib/Greengrass.jar" \\
    --trusted-plugin "\${INSTALL_DIR}/aws.greengrass.FleetProvisioningByClaim.jar" \\
    --init-config "\${INSTALL_DIR}/config.yaml" \\
    --component-default-user ggc_user:ggc_group \\
    --setup-system-service true
  printf '%s\\n' "\${thing}" > "\${INSTALLED_MARKER}"
  log "installed: greengrass.service provisions \${thing} now; waiting up to \${PROVISION_WAIT} s for its certificate."
  wait_for_device_certificate
  log "done: \${thing} is provisioned, runs Greengrass as greengrass.service and joins \${THING_GROUP_NAME}."
}

main "$@"
`;
}
