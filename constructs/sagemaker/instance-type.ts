/**
 * A SageMaker hosting instance type (`ml.<family>.<size>`).
 *
 * The serving image carries the linux-x64 onnxruntime binaries only: Graviton types (`ml.c7g.*`...) cannot run it.
 * @see https://aws.amazon.com/sagemaker/pricing/
 */
export class SageMakerInstanceType {
  /** 2 vCPU, 4 GiB: compute optimized, the default. */
  public static readonly ML_C6I_LARGE = new SageMakerInstanceType('ml.c6i.large');
  /** 4 vCPU, 8 GiB. */
  public static readonly ML_C6I_XLARGE = new SageMakerInstanceType('ml.c6i.xlarge');
  /** 8 vCPU, 16 GiB. */
  public static readonly ML_C6I_2XLARGE = new SageMakerInstanceType('ml.c6i.2xlarge');
  /** 16 vCPU, 32 GiB. */
  public static readonly ML_C6I_4XLARGE = new SageMakerInstanceType('ml.c6i.4xlarge');
  /** 2 vCPU, 8 GiB: general purpose. */
  public static readonly ML_M6I_LARGE = new SageMakerInstanceType('ml.m6i.large');
  /** 4 vCPU, 16 GiB: general purpose. */
  public static readonly ML_M6I_XLARGE = new SageMakerInstanceType('ml.m6i.xlarge');
  /** 2 vCPU, 4 GiB: previous-generation compute optimized. */
  public static readonly ML_C5_LARGE = new SageMakerInstanceType('ml.c5.large');
  /** 2 vCPU, 8 GiB: previous-generation general purpose. */
  public static readonly ML_M5_LARGE = new SageMakerInstanceType('ml.m5.large');
  /** 2 vCPU, 4 GiB burstable: for tests only; no autoscaling. */
  public static readonly ML_T2_MEDIUM = new SageMakerInstanceType('ml.t2.medium');

  /** Any instance type by name, e.g. `SageMakerInstanceType.of('ml.c6i.8xlarge')`. */
  public static of(instanceType: string): SageMakerInstanceType {
    return new SageMakerInstanceType(instanceType);
  }

  private constructor(
    /** The instance type name, e.g. `ml.c6i.large`. */
    public readonly name: string,
  ) {}

  /** The instance type name. */
  public toString(): string {
    return this.name;
  }
}
