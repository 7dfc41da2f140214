//! Domain vocabulary shared by every stage: service-object kinds, division codes and levels,
//! and the identity keys (居民身份证号, 统一社会信用代码) that join everything.

pub mod access;
pub mod code_change;
pub mod datum;
pub mod division;
pub mod identity;
pub mod kind;
pub mod month;
pub mod record;
pub mod registry;

pub use access::{Role, Scope};
pub use code_change::{CodeChange, CodeChanges, PastDivision};
pub use datum::Datum;
pub use division::{DivisionCode, Level};
pub use kind::{Kind, Unit};
pub use month::Month;
pub use record::{Facility, ServiceObject};
pub use registry::{DivisionInfo, Registry};
