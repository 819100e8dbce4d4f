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
  /** Greengrass nucleus version to install, or `latest`. */
  readonly nucleusVersion?: string;
}

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
  ['nucleusVersion', /^(latest|\d+\.\d+\.\d+)$/, "'latest' or a version such as 2.14.3"],
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
  const version = settings.nucleusVersion ?? 'latest';
  const nucleusUrl = version === 'latest'
    ? `${GREENGRASS_RELEASES}/greengrass-nucleus-latest.zip`
    : `${GREENGRASS_RELEASES}/greengrass-${version}.zip`;
  const pluginUrl = `${GREENGRASS_RELEASES}/aws-greengrass-FleetProvisioningByClaim/fleetprovisioningbyclaim-latest.jar`;
  const thingPrefix = settings.thingGroupName.slice(0, 100);
  const source = settings.stackName ? `stack ${settings.stackName}, ` : '';

  return `#!/usr/bin/env bash
# Joins this device to the modelfleet edge fleet ${settings.thingGroupName} (${source}${settings.region}):
# installs a JRE and the AWS IoT Greengrass nucleus, which provisions the device by claim and runs as a service.
# Written by 'modelfleet pi-bootstrap': regenerate it rather than editing it.
#
# Run as root on 64-bit Raspberry Pi OS:   sudo bash bootstrap.sh
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
readonly PLUGIN_URL=${q(pluginUrl)}
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
readonly PROVISIONED_MARKER="\${GG_ROOT}/.modelfleet-provisioned"

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

already_provisioned() {
  [ -e "\${PROVISIONED_MARKER}" ] || [ -e "\${GG_ROOT}/config/config.tlog" ] || [ -e "\${GG_ROOT}/config/effectiveConfig.yaml" ]
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

install_packages() {
  local missing=()
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
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

fetch_greengrass() {
  install -d -m 755 "\${INSTALL_DIR}"
  download "\${NUCLEUS_URL}" "\${INSTALL_DIR}/greengrass-nucleus.zip"
  rm -rf "\${INSTALL_DIR}/GreengrassInstaller"
  unzip -q -o "\${INSTALL_DIR}/greengrass-nucleus.zip" -d "\${INSTALL_DIR}/GreengrassInstaller"
  download "\${PLUGIN_URL}" "\${INSTALL_DIR}/aws.greengrass.FleetProvisioningByClaim.jar"
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
      templateParameters:
        ThingName: '$1'
        ThingGroupName: '\${THING_GROUP_NAME}'
EOF
}

main() {
  require_64bit_os
  require_root
  if already_provisioned; then
    log "already provisioned (\${GG_ROOT}): not running the installer again, its --init-config would erase this device's configuration."
    log "To provision it anew: stop greengrass.service, remove \${GG_ROOT}, run this script again."
    ensure_service_running
    return 0
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
  printf '%s\\n' "\${thing}" > "\${PROVISIONED_MARKER}"
  log "done: \${thing} runs Greengrass as greengrass.service and joins \${THING_GROUP_NAME} once provisioned."
}

main "$@"
`;
}
