// Package request is request fulfilment (RF-1 to RF-6): orders placed from
// the service catalogue by authorised requesters, approved by authorised
// approvers, and fulfilled in one of three ways. Type A runs in code
// (Fulfiller); type B is handled by hand, usually after the object owner's
// approval; type C has the desk coordinate tasks at two or more suppliers.
// The desk registers, holds and closes every order and answers the
// requester (RF-6). Supplier tasks are held along the support chain exactly
// as incidents are, with the rules of package chain.
//
// The catalogue of items lives in package request/catalogue and the lists
// of authorised requesters and approvers in package request/authority.
package request
