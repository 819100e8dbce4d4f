/**
 * A device platform a component ships for: the Greengrass manifest's `os`/`architecture` and the matching Node
 * platform of the artifacts.
 */
export class EdgePlatform {
  /** 64-bit Linux on ARM: 64-bit Raspberry Pi OS on a Pi 3B+, 4, 5 or Zero 2 W (Greengrass `aarch64`). */
  public static readonly LINUX_ARM64 = new EdgePlatform('linux', 'aarch64', 'linux-arm64');

  /**
   * 64-bit Linux on x86 (Greengrass `amd64`: the nucleus maps Java's `x86_64` to `amd64`), for gateways and tests.
   */
  public static readonly LINUX_X64 = new EdgePlatform('linux', 'amd64', 'linux-x64');

  /** Every platform, in manifest order. */
  public static all(): EdgePlatform[] {
    return [EdgePlatform.LINUX_ARM64, EdgePlatform.LINUX_X64];
  }

  private constructor(
    /** The manifest's `os`. */
    public readonly os: string,
    /** The manifest's `architecture`, as the nucleus reports it. */
    public readonly architecture: string,
    /** The Node platform id of the artifacts (`linux-arm64`, `linux-x64`). */
    public readonly nodePlatform: string,
  ) {}
}
