package swell.store;

/** The contract against the volatile store; the durability tests are skipped. */
class MemoryWorkStoreContractTest extends WorkStoreContract {
  @Override
  protected WorkStore create(StoreLimits limits) {
    return new MemoryWorkStore(limits);
  }
}
