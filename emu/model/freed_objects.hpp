// Kernel objects found in pool the driver freed. A routine that finds no object of the kind it
// needs at an address (kemu keeps no side state there, or the bytes are not an object) asks here
// before it reports an uninitialised object: memory the driver freed holds no object any more, so
// the report names the free instead (Verifier::KernelObjectInFreedPool: 0xD5 while special pool
// keeps the block, else 0xC4 / 0x4B450011 naming the free). Only on the report path: the search
// through recently freed blocks is for reports.
#ifndef KEMU_EMU_MODEL_FREED_OBJECTS_HPP_
#define KEMU_EMU_MODEL_FREED_OBJECTS_HPP_

namespace kemu::model {

class Kernel;

/// `routine` found no `expected` ("an executive resource initialized by ...") at `object`. When
/// `object` lies in pool the driver freed, raises the report naming the free (it does not
/// return); otherwise returns, for the caller's own report.
void RejectIfInFreedPool(Kernel& kernel, const char* routine, const char* expected,
                         const void* object);

/// `routine` found no `expected` at `object`: the freed-pool report when `object` lies in pool the
/// driver freed, else kemu's 0xC4 / 0x4B450011 (Verifier::InvalidKernelObject). Never returns.
[[noreturn]] void RejectInvalidObject(Kernel& kernel, const char* routine, const char* expected,
                                      const void* object);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_FREED_OBJECTS_HPP_
